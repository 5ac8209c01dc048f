package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/eventstore/follow"
)

// Cadence says how often Run seals: as soon as Events events are unsealed,
// or once Interval has passed since the last seal with at least one event
// unsealed, whichever comes first. Run looks at the log every Poll.
type Cadence struct {
	// Events seals after this many new events. Zero means only Interval.
	Events uint64
	// Interval seals unsealed events at least this often. Zero means only Events.
	Interval time.Duration
	// Poll is how often the log is read for new events. Default 1s, or
	// Interval if that is shorter.
	Poll time.Duration
}

// Validate reports a cadence Run cannot follow.
func (c Cadence) Validate() error {
	if c.Events == 0 && c.Interval <= 0 {
		return errors.New("cadence: set Events, Interval or both")
	}
	if c.Interval < 0 || c.Poll < 0 {
		return errors.New("cadence: Interval and Poll must not be negative")
	}
	return nil
}

func (c Cadence) poll() time.Duration {
	p := c.Poll
	if p == 0 {
		p = time.Second
		if c.Interval > 0 && c.Interval < p {
			p = c.Interval
		}
	}
	return p
}

// Run seals the log on cadence c until ctx ends, calling onSeal (if not nil)
// after each new seal is stored. It reads the log through a follow.Follower
// that polls it every c.Poll: a failure to read the log is retried, with
// backoff, from the events already in the tree. It returns ctx's error when
// ctx ends, or the first error sealing or publishing: a sealer that cannot
// seal must be looked at, not retried silently. A log it must not seal
// (ErrSealedLogChanged, ErrInvalidEvent) comes back marked follow.Broken,
// so a supervisor does not restart it; any other failure does not.
func (s *Sealer) Run(ctx context.Context, c Cadence, onSeal func(seal.Seal)) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("run sealer: %w", err)
	}
	run, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	lastSeal := time.Now() // guarded by s.mu
	sealIfDue := func(ctx context.Context) error {
		pending := s.frontier.Size() - s.sealed
		due := pending > 0 && ((c.Events > 0 && pending >= c.Events) || (c.Interval > 0 && time.Since(lastSeal) >= c.Interval))
		if !due {
			// The latest seal may predate this process, or its publication
			// may have failed: its checkpoint goes out before any new seal.
			return s.publishLatest(ctx)
		}
		sl, made, err := s.sealLocked(ctx)
		if err != nil {
			return err
		}
		lastSeal = time.Now()
		if made && onSeal != nil {
			onSeal(sl)
		}
		return s.publishLatest(ctx)
	}
	f, err := follow.New(follow.Config{Name: "sealer", Log: s.log, Poll: c.poll(), PageSize: scanBatch,
		Start: func(ctx context.Context) (uint64, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			if !s.loaded {
				if err := s.load(ctx); err != nil {
					if errors.Is(err, ErrSealedLogChanged) {
						return 0, follow.Broken(err)
					}
					return 0, err // a failed read: the follower retries
				}
				s.loaded = true
			}
			return s.frontier.Size(), nil
		},
		Handle: func(ctx context.Context, page follow.Page) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			for _, ev := range page.Events {
				if err := s.appendDecoded(ev.Record.Position, ev.Env, ev.Err); err != nil {
					return follow.Broken(err) // ErrInvalidEvent: a log it must not seal
				}
			}
			if page.Tail { // seal at the head of the log, as it was read
				return sealingFailed(sealIfDue(ctx))
			}
			return nil
		}})
	if err != nil {
		return fmt.Errorf("run sealer: %w", err)
	}
	s.follower.Set(f)
	// The interval falls due without new events too: seal what the
	// follower has read whenever it waits at the head.
	go func() {
		ticker := time.NewTicker(c.poll())
		defer ticker.Stop()
		for {
			select {
			case <-run.Done():
				return
			case <-ticker.C:
			}
			if f.Status().State != follow.Live {
				continue
			}
			s.mu.Lock()
			err := sealIfDue(run)
			s.mu.Unlock()
			if err != nil && run.Err() == nil {
				stop(sealingFailed(err))
				return
			}
		}
	}()
	err = f.Run(run)
	if cause := context.Cause(run); ctx.Err() == nil && cause != nil && !errors.Is(cause, context.Canceled) {
		return fmt.Errorf("run sealer: %w", cause)
	}
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("run sealer: %w", err)
	}
	return ctx.Err()
}

// sealingFailed marks a failure to seal or publish for Run's caller: a log
// the sealer must not seal (ErrSealedLogChanged, ErrInvalidEvent) is
// follow.Broken — no retry can fix it, a supervisor must not restart the
// sealer; anything else (a seal that could not be stored, a fenced write, a
// publisher away) halts the run and is handed back to be run again.
func sealingFailed(err error) error {
	if errors.Is(err, ErrSealedLogChanged) || errors.Is(err, ErrInvalidEvent) {
		return follow.Broken(err)
	}
	return follow.Halt(err)
}

// Status returns the state of the follower Run reads the log with: idle
// before Run, catching up, live (at the head, polling), retrying a failed
// read (with the error) or stopped.
func (s *Sealer) Status() follow.Status {
	return s.follower.Status("sealer")
}
