package projections

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/disputes-ledger/disputes/eventstore/follow"
)

// lane runs one runner on its own goroutine, so the projections of a
// projector work side by side: one may fold the next pages while another
// still commits. A lane holds at most laneQueue pages waiting besides the
// one it works on, so the projector never runs more than laneQueue+1 pages
// ahead of its slowest projection.
type lane struct {
	r       *runner
	pages   chan follow.Page
	pending sync.WaitGroup // pages handed over and not yet handled

	mu  sync.Mutex
	err error // a failure retrying may fix; the lane skips pages until it is cleared
}

func (l *lane) run(ctx context.Context) {
	for page := range l.pages {
		l.handle(ctx, page)
		l.pending.Done()
	}
}

func (l *lane) handle(ctx context.Context, page follow.Page) {
	if l.r.isFinished() || l.failed() != nil {
		return
	}
	if err := l.r.handle(ctx, page); err != nil && (ctx.Err() != nil || !l.r.stopOn(ctx, err)) {
		l.mu.Lock()
		l.err = err
		l.mu.Unlock()
	}
}

func (l *lane) failed() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// laneQueue is how many pages a lane takes while it still works on one.
// In a rebuild the per-ticket read models commit tens of thousands of
// events' rows at once, in turn under the shared write lock; with one page
// of queue a lane waiting for that lock stopped the follower (each page is
// handed to every lane), and with it the log read, the decoding and the
// other read models' folding, so one core idled while the other wrote.
// Four pages let the rest run on through such a commit, for a few more
// pages of decoded events in memory (about 3 MB each at 2048 events).
const laneQueue = 4

// lanes are a projector's runners at work on the pages of one follower.
type lanes []*lane

// idle waits until every lane has handled every page it was given.
func (ls lanes) idle() {
	for _, l := range ls {
		l.pending.Wait()
	}
}

// failures returns what failed since the last reset, joined.
func (ls lanes) failures() error {
	var errs []error
	for _, l := range ls {
		if err := l.failed(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// going counts the lanes whose projection has not finished.
func (ls lanes) going() int {
	n := 0
	for _, l := range ls {
		if !l.r.isFinished() {
			n++
		}
	}
	return n
}

// follow feeds the runners the log from the lowest of their checkpoints,
// through one follower, until each has reached until (0: until ctx ends) or
// stopped. A failure of the log or of the read-model database is retried
// from the checkpoints; a projection that cannot go on stops alone.
func (p *Projector) follow(ctx context.Context, runners []*runner, until uint64) error {
	ls := make(lanes, len(runners))
	var wg sync.WaitGroup
	for i, r := range runners {
		ls[i] = &lane{r: r, pages: make(chan follow.Page, laneQueue)}
		wg.Go(func() { ls[i].run(ctx) })
	}
	defer func() {
		for _, l := range ls {
			close(l.pages)
		}
		wg.Wait()
	}()
	started := false
	start := func(ctx context.Context) (uint64, error) {
		// Every page handed over is handled before the positions are read.
		// A runner whose last commit failed reads its checkpoint again (the
		// commit may have landed) and dropped its memory. The others hold
		// everything through their applied position in memory (committed,
		// or held pages still to commit), so the log is read again from
		// there, not from the checkpoints: a store failing every few pages
		// must not send the runners back to pages they hold.
		ls.idle()
		if !started {
			if err := p.raiseFence(ctx); err != nil {
				return 0, err
			}
		}
		for _, r := range runners {
			var err error
			switch {
			case !started:
				_, err = r.checkpoint(ctx)
			case r.unsure && !r.isFinished():
				err = r.resync(ctx)
			}
			if err != nil {
				return 0, err
			}
		}
		started = true
		from, first := uint64(0), true
		for _, l := range ls {
			l.mu.Lock()
			l.err = nil
			l.mu.Unlock()
			if !l.r.isFinished() && (first || l.r.applied < from) {
				from, first = l.r.applied, false
			}
		}
		return from, nil
	}
	handle := func(ctx context.Context, page follow.Page) error { return p.hand(ctx, ls, page, until) }
	f, err := follow.New(follow.Config{Name: "projections", Log: p.store, Start: start, Handle: handle,
		PageSize: p.opts.PageSize, Until: until, MaxAttempts: p.opts.MaxRetries, Logger: p.opts.Logger,
		Backoff: follow.Backoff{Initial: p.opts.RetryInterval, Max: p.opts.MaxRetryInterval}})
	if err != nil {
		return err
	}
	p.follower.Set(f)
	err = f.Run(ctx)
	ls.idle()
	switch {
	case err == nil, ctx.Err() != nil:
		return nil
	case errors.Is(err, follow.ErrGaveUp):
		for _, r := range runners {
			if !r.isFinished() {
				r.opts.Logger.Error("projection stopped", "projection", r.proj.Name(), "err", err)
				r.finish(&Failure{Reason: err.Error()}, err)
			}
		}
		return nil
	default:
		return fmt.Errorf("run projections: %w", err)
	}
}

// hand gives a page to every lane whose projection is still going and
// returns once each has taken it — a lane takes the next page while it
// still works on the one before. A lane's failure since the last start
// fails the call, so the follower retries from the checkpoints. At the
// head of the log and at until, hand waits until every lane has committed
// the page: the run does not end, and a follower at the head does not
// report itself live, before the rows are written.
func (p *Projector) hand(ctx context.Context, ls lanes, page follow.Page, until uint64) error {
	if err := ls.failures(); err != nil {
		return err
	}
	for _, l := range ls {
		if l.r.isFinished() {
			continue
		}
		l.pending.Add(1)
		select {
		case l.pages <- page:
		case <-ctx.Done():
			l.pending.Done()
			return ctx.Err()
		}
	}
	if page.Tail || (until > 0 && page.Last() >= until) {
		ls.idle()
		if err := ls.failures(); err != nil {
			return err
		}
	}
	if ls.going() == 0 {
		ls.idle()
		return follow.ErrStop
	}
	return nil
}

// raiseFence runs the fence in a transaction of its own before the
// checkpoints are read. A previous owner whose commit was under way when
// this one started could otherwise move a checkpoint after it was read
// (the fence only refuses it once this owner has written): this
// projection would then meet a moved checkpoint and stop.
func (p *Projector) raiseFence(ctx context.Context) error {
	if p.opts.Fence == nil {
		return nil
	}
	if err := p.db.write(ctx, p.opts.Fence); err != nil {
		return fmt.Errorf("raise the fence before reading the checkpoints: %w", err)
	}
	return nil
}
