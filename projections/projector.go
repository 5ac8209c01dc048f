package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/follow"
)

// Options tune a Projector. The zero value is usable: every zero field takes
// its default.
type Options struct {
	// Follow keeps projecting new events after the head; otherwise a run
	// stops at the head of the log as it was when the run began.
	Follow bool

	// PageSize is the most events one page of the log carries, and so one
	// transaction of a projection that commits every page (see Holder).
	// Default 1024 when following, 2048 otherwise (project to the head,
	// rebuild): a follower shares the SQLite file's write lock with the
	// ledger's appends and keeps its transactions short. Pages bound the
	// decoded events in flight (at most laneQueue+2 pages); the read models that
	// hold several pages per transaction make transactions large without
	// large pages (BENCHMARKS.md, Projections).
	PageSize int

	// Hold is the longest a projection that can hold its changes over
	// several pages (a Holder) keeps them uncommitted in a run to the head
	// (never while following);
	// default 10s. Negative: every page is committed as it is applied.
	Hold time.Duration

	// MaxRetries bounds the consecutive failed attempts (the log or the
	// read-model database failing) before the projections stop. Default:
	// when following, none — the projector retries until the stores are
	// back; otherwise 5. Events a projection refuses are never retried.
	MaxRetries int
	// RetryInterval is the first wait between retries; it doubles, with
	// jitter, up to MaxRetryInterval. Defaults 100ms and 5s.
	RetryInterval    time.Duration
	MaxRetryInterval time.Duration

	// Progress, if set, is called after every commit.
	Progress func(Progress)

	// Logger receives the follower's and the projections' logs. Default: none.
	Logger *slog.Logger

	// Now stamps checkpoints and parked events. Default time.Now.
	Now func() time.Time

	// Fence, if set, runs first in every transaction that advances a
	// checkpoint; when it fails nothing of the page is written. A refusal
	// (an error wrapping ErrFenced) stops the projection (ErrStopped); any
	// other error is retried from the checkpoint. It also runs alone before the
	// checkpoints are read, so that no older owner moves one afterwards. With a lease's fencing token (package
	// internal/coord's HighWater) a projector that lost its lease to another
	// replica cannot write over the new owner's rows.
	Fence func(ctx context.Context, tx *sql.Tx) error
}

func (o *Options) setDefaults() {
	if o.PageSize <= 0 {
		o.PageSize = followPageSize
		if !o.Follow {
			o.PageSize = catchUpPageSize
		}
	}
	if o.Hold == 0 {
		o.Hold = defaultHold
	}
	if o.MaxRetries == 0 && !o.Follow {
		o.MaxRetries = 5
	}
	if o.RetryInterval <= 0 {
		o.RetryInterval = 100 * time.Millisecond
	}
	if o.MaxRetryInterval <= 0 {
		o.MaxRetryInterval = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// defaultHold is Options.Hold's default: a crash loses at most that much
// work, and a run's progress shows at least that often.
const defaultHold = 10 * time.Second

// Page sizes by default (Options.PageSize).
const (
	followPageSize  = 1024
	catchUpPageSize = 2048
)

// Progress is reported after each page a projection handled: committed,
// or held in memory (see Holder).
type Progress struct {
	Projection string
	// Position is the projection's checkpoint; Head is where the run stops
	// (0 when following); Since is the checkpoint the run began at.
	Position, Head, Since uint64
	// Applied is the last position folded, committed or held (≥ Position).
	Applied uint64
	Elapsed time.Duration
}

// Report is the outcome of a run.
type Report struct {
	// Head is the position the run projected to (0 when following).
	Head        uint64
	Elapsed     time.Duration
	Projections []ProjectionReport
}

// ProjectionReport is one projection's part of a run.
type ProjectionReport struct {
	Name string
	// From and To are the checkpoints before and after the run.
	From, To uint64
	Elapsed  time.Duration
	// Failure says why the projection stopped early; nil if it did not.
	Failure *Failure
	Err     error
}

// Events returns the number of events the projection applied in the run.
func (p ProjectionReport) Events() uint64 { return p.To - p.From }

// Rate returns the log events per second that went through all the
// projections of the run: the events between the lowest starting checkpoint
// and the head, over the run's wall time.
func (r Report) Rate() float64 {
	if r.Elapsed <= 0 || len(r.Projections) == 0 {
		return 0
	}
	from, to := r.Projections[0].From, r.Projections[0].To
	for _, p := range r.Projections[1:] {
		from, to = min(from, p.From), max(to, p.To)
	}
	return float64(to-from) / r.Elapsed.Seconds()
}

// Failures returns the projections that stopped early.
func (r Report) Failures() []ProjectionReport {
	var out []ProjectionReport
	for _, p := range r.Projections {
		if p.Failure != nil {
			out = append(out, p)
		}
	}
	return out
}

// Projector runs projections over a store's global log: one follower for
// all of them, each page applied by every projection side by side, and one
// checkpoint per projection, committed with its rows.
type Projector struct {
	store eventstore.Store
	db    *DB
	projs []Projection
	opts  Options

	follower follow.Running // the running one, for Status
}

// NewProjector returns a projector writing projs into db.
func NewProjector(store eventstore.Store, db *DB, projs []Projection, opts Options) *Projector {
	opts.setDefaults()
	return &Projector{store: store, db: db, projs: projs, opts: opts}
}

// Projections returns the projector's projections.
func (p *Projector) Projections() []Projection { return p.projs }

// Status returns the state of the projector's follower of the log
// (catching up, live, retrying with the last error, stopped) and its lag;
// Idle before Run and between runs.
func (p *Projector) Status() follow.Status {
	return p.follower.Status("projections")
}

// Run brings every projection up to the head of the log, or with
// Options.Follow keeps them following it until ctx ends. A projection that
// stops on a failure does not stop the others; Run then returns the report
// and an error wrapping ErrStopped.
func (p *Projector) Run(ctx context.Context) (Report, error) {
	rep, err := p.run(ctx, p.projs, p.opts.Follow)
	if p.opts.Follow && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		// Cancelling is how a follower is stopped, even before it got going.
		return rep, nil
	}
	return rep, err
}

// Rebuild drops the named projections (all when names is empty) and
// projects them again from position zero to the head.
func (p *Projector) Rebuild(ctx context.Context, names ...string) (Report, error) {
	projs, err := p.select_(names)
	if err != nil {
		return Report{}, err
	}
	for _, proj := range projs {
		if err := p.drop(ctx, proj); err != nil {
			return Report{}, err
		}
	}
	return p.run(ctx, projs, false)
}

func (p *Projector) select_(names []string) ([]Projection, error) {
	if len(names) == 0 {
		return p.projs, nil
	}
	var out []Projection
	for _, n := range names {
		found := false
		for _, proj := range p.projs {
			if proj.Name() == n {
				out, found = append(out, proj), true
			}
		}
		if !found {
			known := make([]string, len(p.projs))
			for i, proj := range p.projs {
				known[i] = proj.Name()
			}
			return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownProjection, n, strings.Join(known, ", "))
		}
	}
	return out, nil
}

func (p *Projector) run(ctx context.Context, projs []Projection, follow bool) (Report, error) {
	began := time.Now()
	for _, proj := range projs {
		// What a projection holds in memory is only valid against the rows
		// as it left them; another process may have written since.
		proj.Reset()
		if err := p.ensure(ctx, proj); err != nil {
			return Report{}, err
		}
	}
	var head uint64
	if !follow {
		var err error
		if head, err = Head(ctx, p.store); err != nil {
			return Report{}, err
		}
	}
	var runners, idle []*runner
	for _, proj := range projs {
		r := newRunner(proj, p.db, &p.opts, head)
		if !follow {
			pos, err := p.db.Checkpoint(ctx, proj.Name())
			if err != nil {
				return Report{}, err
			}
			if pos >= head {
				if err := r.ensureIndexes(ctx); err != nil {
					return Report{}, err
				}
				r.durable, r.from, r.started, r.finished = pos, pos, began, began
				idle = append(idle, r)
				continue
			}
		}
		runners = append(runners, r)
	}
	if len(runners) > 0 {
		if err := p.follow(ctx, runners, head); err != nil {
			return Report{}, err
		}
	}
	rep := Report{Head: head, Elapsed: time.Since(began)}
	var stopped []string
	for _, r := range append(runners, idle...) {
		pr := r.report()
		rep.Projections = append(rep.Projections, pr)
		if pr.Failure != nil {
			stopped = append(stopped, fmt.Sprintf("%s at position %d: %s", pr.Name, pr.Failure.Position, firstLine(pr.Failure.Reason)))
		}
	}
	if len(stopped) > 0 {
		return rep, fmt.Errorf("%w: %s", ErrStopped, strings.Join(stopped, "; "))
	}
	if err := ctx.Err(); err != nil && !follow {
		return rep, err
	}
	return rep, nil
}

// ensure creates the projection's tables and checkpoint if they are new,
// and rebuilds them if they were made by another schema version.
func (p *Projector) ensure(ctx context.Context, proj Projection) error {
	schema := proj.Schema()
	return p.db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var version int64
		err := tx.QueryRowContext(ctx, p.db.Dialect.Q(`SELECT schema_version FROM `+checkpointsTable+` WHERE projection = ?`), proj.Name()).Scan(&version)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, p.db.Dialect.Q(`INSERT INTO `+checkpointsTable+` (projection, position, schema_version, updated_at) VALUES (?, 0, ?, ?)`),
				proj.Name(), schema.Version, formatTime(p.opts.Now())); err != nil {
				return fmt.Errorf("%s: create checkpoint: %w", proj.Name(), err)
			}
		case err != nil:
			return fmt.Errorf("%s: read checkpoint: %w", proj.Name(), err)
		case version != int64(schema.Version):
			p.opts.Logger.Info("projection schema changed, rebuilding", "projection", proj.Name(), "stored", version, "current", schema.Version)
			if err := p.dropIn(ctx, tx, proj); err != nil {
				return err
			}
		}
		for _, t := range schema.Tables {
			if _, err := tx.ExecContext(ctx, p.db.Dialect.Table(t.DDL)); err != nil {
				return fmt.Errorf("%s: create table %s: %w", proj.Name(), t.Name, err)
			}
		}
		return nil
	})
}

// drop empties a projection: its tables, checkpoint and parked events go,
// in one transaction, and its memory is reset.
func (p *Projector) drop(ctx context.Context, proj Projection) error {
	return p.db.write(ctx, func(ctx context.Context, tx *sql.Tx) error { return p.dropIn(ctx, tx, proj) })
}

func (p *Projector) dropIn(ctx context.Context, tx *sql.Tx, proj Projection) error {
	for _, t := range proj.Schema().Tables {
		if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS `+t.Name); err != nil {
			return fmt.Errorf("%s: drop table %s: %w", proj.Name(), t.Name, err)
		}
	}
	for _, q := range []string{
		`DELETE FROM ` + checkpointsTable + ` WHERE projection = ?`,
		`DELETE FROM ` + parkedTable + ` WHERE projection = ?`,
	} {
		if _, err := tx.ExecContext(ctx, p.db.Dialect.Q(q), proj.Name()); err != nil {
			return fmt.Errorf("%s: reset: %w", proj.Name(), err)
		}
	}
	if _, err := tx.ExecContext(ctx, p.db.Dialect.Q(`INSERT INTO `+checkpointsTable+` (projection, position, schema_version, updated_at) VALUES (?, 0, ?, ?)`),
		proj.Name(), proj.Schema().Version, formatTime(p.opts.Now())); err != nil {
		return fmt.Errorf("%s: reset checkpoint: %w", proj.Name(), err)
	}
	proj.Reset()
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
