package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/disputes-ledger/disputes/eventstore/follow"
)

// runner feeds one projection the pages of the projector's follower. It is
// called for one page at a time, in order, on its lane's goroutine only
// (lanes.go; the follower reads its positions at a restart only once every
// lane has handled every page it was given), so its fields need no lock
// except the outcome, which the follower and Report read.
type runner struct {
	proj Projection
	db   *DB
	opts *Options

	durable uint64 // the stored checkpoint
	applied uint64 // last position folded into the projection (≥ durable)
	until   uint64 // stop once durable reaches it; 0 follows the log forever
	from    uint64 // checkpoint when the run began

	indexed    bool
	openParked bool // rm_parked holds unresolved events of this projection
	// unsure is set when a commit failed: it may have committed all the
	// same (the connection dropped between the database's commit and its
	// answer), so the stored checkpoint is read again before the next page.
	unsure      bool
	started     time.Time
	committed   time.Time // when the last commit ended (or the run began)
	checkpointQ string

	mu       sync.Mutex
	finished time.Time
	failure  *Failure
	err      error
}

func newRunner(proj Projection, db *DB, opts *Options, until uint64) *runner {
	return &runner{proj: proj, db: db, opts: opts, until: until,
		checkpointQ: db.Dialect.Q(`UPDATE ` + checkpointsTable + ` SET position = ?, updated_at = ? WHERE projection = ? AND position = ?`)}
}

// checkpoint reads the stored checkpoint, where the run starts: the
// runner's own counters start there too.
func (r *runner) checkpoint(ctx context.Context) (uint64, error) {
	pos, err := r.db.Checkpoint(ctx, r.proj.Name())
	if err != nil {
		return 0, err
	}
	var open int
	if err := r.db.SQL.QueryRowContext(ctx, r.db.Dialect.Q(`SELECT count(*) FROM `+parkedTable+` WHERE projection = ? AND resolved_at IS NULL`),
		r.proj.Name()).Scan(&open); err != nil {
		return 0, fmt.Errorf("read parked events of %s: %w", r.proj.Name(), err)
	}
	r.durable, r.applied, r.from, r.openParked = pos, pos, pos, open > 0
	r.started = time.Now()
	r.committed = r.started
	return pos, nil
}

// resync reads the stored checkpoint again after a failed commit, with
// the projection's memory dropped: the database's state is the truth, and
// the follower delivers again what follows it.
func (r *runner) resync(ctx context.Context) error {
	pos, err := r.db.Checkpoint(ctx, r.proj.Name())
	if err != nil {
		return err
	}
	r.durable, r.applied, r.unsure = pos, pos, false
	return nil
}

// fatalError is a failure that retrying cannot fix and that is not an event's fault.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

// panicError is a panic outside Apply (in Flush, say), turned into an error.
type panicError struct{ err error }

func (e *panicError) Error() string { return e.err.Error() }

// handle applies one page and commits it with the checkpoint. A panic is
// returned as a panicError.
func (r *runner) handle(ctx context.Context, page follow.Page) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{fmt.Errorf("%s: panic: %v\n%s", r.proj.Name(), v, debug.Stack())}
		}
	}()
	for _, ev := range page.Events {
		pos := ev.Record.Position
		if pos <= r.applied {
			continue // delivered again after a retry or a restart: already applied
		}
		if pos != r.applied+1 {
			return &fatalError{fmt.Errorf("%s: position %d delivered after %d: the log has a gap", r.proj.Name(), pos, r.applied)}
		}
		if ev.Err != nil {
			return r.poison(ctx, ev, ev.Err, false)
		}
		panicked, err := r.apply(ctx, ev)
		if err != nil {
			var refused *ApplyError
			if panicked || errors.As(err, &refused) {
				return r.poison(ctx, ev, err, panicked)
			}
			return fmt.Errorf("%s: apply position %d: %w", r.proj.Name(), pos, err)
		}
		r.applied = pos
	}
	if r.holds(page) {
		r.progress()
		return nil
	}
	return r.commit(ctx, page.Tail)
}

// maxHeldEvents bounds the events a Holder folds between commits. The
// decoded events' strings share each event's bytes (events.Decode), and a
// pending ticket keeps some of them (its last event's hash, for one) until
// the commit detaches them: the bound keeps that memory within a few tens
// of megabytes whatever the cache holds.
const maxHeldEvents = 32768

// holds reports whether the runner keeps the page's changes in memory
// rather than commit them now: only in a run to a known end (project,
// rebuild: until is set, and the page that reaches it always commits — a
// follower may see no further page for as long as nothing is appended),
// for a Holder that is not Full, not at the head of the log nor at the
// run's end, within maxHeldEvents of its last commit and within
// Options.Hold of it.
func (r *runner) holds(page follow.Page) bool {
	h, ok := r.proj.(Holder)
	if !ok || page.Tail || r.until == 0 || r.applied >= r.until {
		return false
	}
	return !h.Full() && r.applied-r.durable < maxHeldEvents && time.Since(r.committed) < r.opts.Hold
}

// apply calls the projection, turning a panic into an error: a bug that
// panics on one event must stop the projection at that event, not crash
// the process or skip it.
func (r *runner) apply(ctx context.Context, ev follow.Event) (panicked bool, err error) {
	defer func() {
		if v := recover(); v != nil {
			panicked, err = true, fmt.Errorf("panic: %v\n%s", v, debug.Stack())
		}
	}()
	return false, r.proj.Apply(ctx, ev)
}

// poison commits what came before the event, so the checkpoint stops right
// before it, and returns the PoisonError that parks it. After a panic the
// projection's memory cannot be trusted, so it is dropped instead and the
// checkpoint stays at the last commit.
func (r *runner) poison(ctx context.Context, ev follow.Event, cause error, panicked bool) error {
	if panicked {
		r.proj.Reset()
		r.applied = r.durable
	} else if err := r.commit(ctx, false); err != nil {
		return err // retried; the event fails again after the commit succeeds
	}
	f := Failure{Position: ev.Record.Position, EventID: ev.Record.ID.String(), Stream: ev.Record.Stream,
		Revision: ev.Record.Revision, EventType: ev.Record.Type, Reason: cause.Error()}
	return &PoisonError{Projection: r.proj.Name(), Failure: f, Err: cause}
}

// commit writes the pending changes and the checkpoint in one transaction.
func (r *runner) commit(ctx context.Context, tail bool) error {
	if r.applied > r.durable {
		if err := r.prepare(); err != nil {
			return err
		}
		if err := r.db.write(ctx, r.write); err != nil {
			// Whether the page committed is unknown: writing it again
			// could meet its own rows, or a checkpoint it moved itself.
			r.proj.Reset()
			r.applied, r.unsure = r.durable, true
			return fmt.Errorf("%s: commit through position %d: %w", r.proj.Name(), r.applied, err)
		}
		r.proj.Committed()
		r.durable = r.applied
		r.openParked = false
		r.committed = time.Now()
	}
	r.progress()
	reached := r.until > 0 && r.durable >= r.until
	if (tail || reached) && !r.indexed {
		if err := r.ensureIndexes(ctx); err != nil {
			return err
		}
	}
	if reached {
		r.finish(nil, nil)
	}
	return nil
}

func (r *runner) progress() {
	if r.opts.Progress != nil {
		r.opts.Progress(Progress{Projection: r.proj.Name(), Position: r.durable, Applied: r.applied, Head: r.until, Since: r.from,
			Elapsed: time.Since(r.started)})
	}
}

// prepare has a preparer build its rows before the write transaction
// begins. Its failure is the write's: the projection is dropped to its
// checkpoint and the page retried.
func (r *runner) prepare() error {
	p, ok := r.proj.(preparer)
	if !ok {
		return nil
	}
	if err := p.prepare(); err != nil {
		err = fmt.Errorf("%s: prepare the write through position %d: %w", r.proj.Name(), r.applied, err)
		r.proj.Reset()
		r.applied = r.durable
		return err
	}
	return nil
}

func (r *runner) write(ctx context.Context, tx *sql.Tx) error {
	if r.opts.Fence != nil {
		if err := r.opts.Fence(ctx, tx); err != nil {
			err = fmt.Errorf("%s: write through position %d: %w", r.proj.Name(), r.applied, err)
			if errors.Is(err, ErrFenced) {
				return &fatalError{err}
			}
			return err // the fence could not be asked (a dropped connection): retried
		}
	}
	if err := r.proj.Flush(ctx, tx); err != nil {
		return fmt.Errorf("%s: write through position %d: %w", r.proj.Name(), r.applied, err)
	}
	res, err := tx.ExecContext(ctx, r.checkpointQ, int64(r.applied), formatTime(r.opts.Now()), r.proj.Name(), int64(r.durable))
	if err != nil {
		return fmt.Errorf("%s: advance checkpoint: %w", r.proj.Name(), err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return &fatalError{fmt.Errorf("%s at %d: %w", r.proj.Name(), r.durable, ErrCheckpointMoved)}
	}
	if r.openParked {
		if _, err := tx.ExecContext(ctx, r.db.Dialect.Q(`UPDATE `+parkedTable+` SET resolved_at = ?, resolution = ?
			WHERE projection = ? AND resolved_at IS NULL AND position <= ?`),
			formatTime(r.opts.Now()), "applied", r.proj.Name(), int64(r.applied)); err != nil {
			return fmt.Errorf("%s: resolve parked events: %w", r.proj.Name(), err)
		}
	}
	return nil
}

func (r *runner) ensureIndexes(ctx context.Context) error {
	for _, ddl := range r.proj.Schema().Indexes {
		if err := r.db.exec(ctx, ddl); err != nil {
			return fmt.Errorf("%s: create index: %w", r.proj.Name(), err)
		}
	}
	r.indexed = true
	return nil
}

// stopOn stops the projection on an error retrying cannot fix, after
// parking the event if it was the event's fault, and reports whether it did;
// an ordinary error (a database failure) is left to the follower's retries.
func (r *runner) stopOn(ctx context.Context, err error) bool {
	var poison *PoisonError
	var panicked *panicError
	var fatal *fatalError
	log := r.opts.Logger.With("projection", r.proj.Name())
	switch {
	case errors.As(err, &poison):
		f := poison.Failure
		if perr := r.db.park(context.WithoutCancel(ctx), r.proj.Name(), f, r.opts.Now()); perr != nil {
			log.Error("cannot park poison event", "position", f.Position, "err", perr)
		} else {
			f.Parked = true
		}
		log.Error("projection stopped at an event it cannot apply", "position", f.Position, "err", err)
		r.finish(&f, err)
	case errors.As(err, &panicked):
		r.proj.Reset()
		log.Error("projection stopped after a panic", "err", err)
		r.finish(&Failure{Reason: err.Error()}, err)
	case errors.As(err, &fatal):
		log.Error("projection stopped", "err", err)
		r.finish(&Failure{Reason: err.Error()}, err)
	default:
		return false
	}
	return true
}

// finish records the outcome once: the projector hands the runner no
// further page.
func (r *runner) finish(f *Failure, err error) {
	r.mu.Lock()
	if !r.finished.IsZero() {
		r.mu.Unlock()
		return
	}
	r.finished, r.failure, r.err = time.Now(), f, err
	r.mu.Unlock()
}

func (r *runner) isFinished() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.finished.IsZero()
}

func (r *runner) report() ProjectionReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	end := r.finished
	if end.IsZero() {
		end = time.Now()
	}
	return ProjectionReport{Name: r.proj.Name(), From: r.from, To: r.durable, Elapsed: end.Sub(r.started), Failure: r.failure, Err: r.err}
}
