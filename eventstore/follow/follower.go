package follow

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
)

// ErrRunning is returned by Run while another Run of the same Follower is
// under way.
var ErrRunning = errors.New("follower already running")

// Follower delivers the global log to one consumer; see the package
// documentation. Status is safe for concurrent use; Run runs once at a time.
type Follower struct {
	cfg Config

	mu       sync.Mutex
	running  bool
	status   Status
	progress bool // a page was handled since the last failure
}

// New returns a follower for cfg.
func New(cfg Config) (*Follower, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new follower: %w", err)
	}
	cfg.setDefaults()
	return &Follower{cfg: cfg, status: Status{Name: cfg.Name, State: Idle, Since: time.Now()}}, nil
}

// Status returns where the follower is.
func (f *Follower) Status() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.status
	if s.Head > s.Position {
		s.Lag = s.Head - s.Position
	}
	return s
}

// Run follows the log until ctx ends (it returns ctx's error), the consumer
// asks to stop (ErrStop), Until or the head (StopAtHead) is reached (nil),
// Start or Handle returns an error marked Halt or Broken (returned), or
// MaxAttempts attempts in a row failed (ErrGaveUp). Every other failure is
// retried.
func (f *Follower) Run(ctx context.Context) error {
	f.mu.Lock()
	if f.running {
		f.mu.Unlock()
		return fmt.Errorf("%s: %w", f.cfg.Name, ErrRunning)
	}
	f.running = true
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.running = false
		f.mu.Unlock()
	}()

	attempt := 0
	for {
		err := f.attempt(ctx)
		switch {
		case err == nil || errors.Is(err, ErrStop):
			f.stop(nil)
			return nil
		case IsBroken(err):
			f.stop(err)
			f.cfg.Logger.Error("log follower broken: not retried", "follower", f.cfg.Name, "err", err)
			return err
		case isHalt(err):
			f.stop(err)
			f.cfg.Logger.Warn("log follower halted by its consumer", "follower", f.cfg.Name, "err", err)
			return err
		case ctx.Err() != nil:
			f.stop(nil)
			return ctx.Err()
		}
		if f.takeProgress() {
			attempt = 0
		}
		attempt++
		if f.cfg.MaxAttempts > 0 && attempt >= f.cfg.MaxAttempts {
			err = fmt.Errorf("%s: %w after %d attempts: %w", f.cfg.Name, ErrGaveUp, attempt, err)
			f.stop(err)
			f.cfg.Logger.Error("log follower gave up", "follower", f.cfg.Name, "err", err)
			return err
		}
		wait := f.cfg.Backoff.Delay(attempt)
		f.retrying(err, attempt, time.Now().Add(wait))
		f.cfg.Logger.Warn("log follower failed; retrying", "follower", f.cfg.Name, "attempt", attempt, "retry_in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			f.stop(nil)
			return ctx.Err()
		}
	}
}

// attempt resumes from the consumer's position: catch-up, then live. It
// returns nil when the run is complete.
func (f *Follower) attempt(ctx context.Context) error {
	pos, err := f.cfg.Start(ctx)
	if err != nil {
		return fmt.Errorf("read the consumer's position: %w", err)
	}
	if f.cfg.Until > 0 && pos >= f.cfg.Until {
		f.enter(CatchingUp, pos, pos)
		return nil
	}
	head, err := Head(ctx, f.cfg.Log)
	if err != nil {
		return err
	}
	if f.attempted() {
		f.cfg.Logger.Info("log follower resumed", "follower", f.cfg.Name, "position", pos, "head", head)
	}
	f.enter(CatchingUp, pos, head)
	pos, done, err := f.catchUp(ctx, pos)
	if err != nil || done || f.cfg.StopAtHead {
		return err
	}
	f.enter(Live, pos, 0)
	if f.cfg.Poll > 0 {
		return f.poll(ctx, pos)
	}
	return f.live(ctx, pos)
}

// poll reads the log after pos every Poll and delivers what it finds, until
// a failure or the run is complete.
func (f *Follower) poll(ctx context.Context, pos uint64) error {
	t := time.NewTicker(f.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
		next, done, err := f.catchUp(ctx, pos)
		if err != nil || done {
			return err
		}
		pos = next
	}
}

// read is one page read ahead, or why it could not be.
type read struct {
	page Page
	err  error
}

// catchUp delivers the stored log after pos up to its head as read, and
// returns the last position handled and whether the run is complete. One
// goroutine reads and decodes the next page while Handle works on this one,
// and waits for it to be taken: never more than one page ahead.
func (f *Follower) catchUp(ctx context.Context, pos uint64) (uint64, bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	pages := make(chan read)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		f.readAhead(ctx, pos, pages)
	}()
	defer func() {
		cancel()
		wg.Wait()
	}()
	for r := range pages {
		if r.err != nil {
			return pos, false, r.err
		}
		done, err := f.deliver(ctx, r.page)
		if err != nil || done {
			return pos, done, err
		}
		if len(r.page.Events) > 0 {
			pos = r.page.Last()
		}
		if r.page.Tail {
			return pos, false, nil
		}
	}
	return pos, false, ctx.Err()
}

// readAhead reads pages after after and sends them on out until a short page
// (the head), Until, a failure, or ctx's end.
func (f *Follower) readAhead(ctx context.Context, after uint64, out chan<- read) {
	defer close(out)
	for {
		r := f.readPage(ctx, after, f.limit(after))
		select {
		case out <- r:
		case <-ctx.Done():
			return
		}
		if r.err != nil || r.page.Tail || f.reached(r.page.Last()) {
			return
		}
		after = r.page.Last()
	}
}

// live subscribes after pos and delivers events as they commit, in pages of
// what is already waiting, until the subscription ends (an error) or the run
// is complete.
func (f *Follower) live(ctx context.Context, pos uint64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub, err := f.cfg.Log.(Log).Subscribe(ctx, pos) // Validate made sure
	if err != nil {
		return fmt.Errorf("subscribe after position %d: %w", pos, err)
	}
	ch := sub.Events()
	for {
		var first eventstore.RecordedEvent
		var open bool
		select {
		case first, open = <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !open {
			return subscriptionEnded(sub, pos)
		}
		recs, limit := []eventstore.RecordedEvent{first}, f.limit(pos)
	drain:
		for len(recs) < limit {
			select {
			case rec, ok := <-ch:
				if !ok {
					break drain
				}
				recs = append(recs, rec)
			default:
				break drain
			}
		}
		if err := checkNext(recs, pos); err != nil {
			return err
		}
		// A subscription's records may be shared with other subscribers:
		// decoded from a copy of their bytes.
		done, err := f.deliver(ctx, pageOf(recs, f.cfg.Raw, len(recs) < limit, events.Decode))
		if err != nil || done {
			return err
		}
		pos = recs[len(recs)-1].Position
	}
}

func subscriptionEnded(sub eventstore.Subscription, pos uint64) error {
	err := sub.Err()
	if err == nil {
		err = errors.New("closed without a reason")
	}
	return fmt.Errorf("subscription after position %d ended: %w", pos, err)
}

// deliver hands a page to Handle and records the new position. It reports
// whether the run is complete.
func (f *Follower) deliver(ctx context.Context, page Page) (bool, error) {
	if len(page.Events) == 0 {
		return false, nil
	}
	f.saw(page.Last())
	err := f.cfg.Handle(ctx, page)
	if err != nil && !errors.Is(err, ErrStop) {
		return false, fmt.Errorf("handle positions %d-%d: %w", page.First(), page.Last(), err)
	}
	f.handled(page.Last())
	return err != nil || f.reached(page.Last()), nil
}

// limit is the size of the next page after pos: PageSize, cut at Until.
func (f *Follower) limit(pos uint64) int {
	if f.cfg.Until > 0 && f.cfg.Until-pos < uint64(f.cfg.PageSize) {
		return int(f.cfg.Until - pos)
	}
	return f.cfg.PageSize
}

func (f *Follower) reached(pos uint64) bool { return f.cfg.Until > 0 && pos >= f.cfg.Until }

// checkNext checks recs continue the log right after after.
func checkNext(recs []eventstore.RecordedEvent, after uint64) error {
	for i, rec := range recs {
		if want := after + 1 + uint64(i); rec.Position != want {
			return gapError(rec.Position, want-1)
		}
	}
	return nil
}

// The status bookkeeping, under mu.

func (f *Follower) enter(state State, pos, head uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.status.State != state {
		f.status.State, f.status.Since = state, time.Now()
	}
	f.status.Position = pos
	f.status.Head = max(f.status.Head, head, pos)
	f.status.Err, f.status.Attempt, f.status.RetryAt = nil, 0, time.Time{}
}

// attempted reports whether an attempt failed before this one.
func (f *Follower) attempted() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status.Attempt > 0
}

func (f *Follower) saw(pos uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status.Head = max(f.status.Head, pos)
}

func (f *Follower) handled(pos uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status.Position, f.progress = pos, true
}

func (f *Follower) takeProgress() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.progress
	f.progress = false
	return p
}

func (f *Follower) retrying(err error, attempt int, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status.State, f.status.Since = Retrying, time.Now()
	f.status.Err, f.status.Attempt, f.status.RetryAt = err, attempt, at
}

func (f *Follower) stop(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status.State, f.status.Since = Stopped, time.Now()
	f.status.Err, f.status.RetryAt = err, time.Time{}
}
