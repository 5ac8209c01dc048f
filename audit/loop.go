package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/audit/seal"
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
// after each new seal is stored. It returns ctx's error when ctx ends, or the
// first sealing error: a sealer that cannot seal must be looked at, not
// retried silently.
func (s *Sealer) Run(ctx context.Context, c Cadence, onSeal func(seal.Seal)) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("run sealer: %w", err)
	}
	ticker := time.NewTicker(c.poll())
	defer ticker.Stop()
	lastSeal := time.Now()
	for {
		if err := s.tick(ctx, c, &lastSeal, onSeal); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
}

// tick reads new events and seals if the cadence says so.
func (s *Sealer) tick(ctx context.Context, c Cadence, lastSeal *time.Time, onSeal func(seal.Seal)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.catchUp(ctx); err != nil {
		return fmt.Errorf("run sealer: %w", err)
	}
	pending := s.frontier.Size() - s.sealed
	due := pending > 0 && ((c.Events > 0 && pending >= c.Events) || (c.Interval > 0 && time.Since(*lastSeal) >= c.Interval))
	if !due {
		// The latest seal may predate this process, or its publication
		// may have failed: its checkpoint goes out before any new seal.
		if err := s.publishLatest(ctx); err != nil {
			return fmt.Errorf("run sealer: %w", err)
		}
		return nil
	}
	sl, made, err := s.sealLocked(ctx)
	if err != nil {
		return fmt.Errorf("run sealer: %w", err)
	}
	*lastSeal = time.Now()
	if made && onSeal != nil {
		onSeal(sl)
	}
	if err := s.publishLatest(ctx); err != nil {
		return fmt.Errorf("run sealer: %w", err)
	}
	return nil
}
