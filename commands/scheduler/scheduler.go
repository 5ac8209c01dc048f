package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/internal/clock"
)

// Config sets a Scheduler up. Store, Handler and Clock are required.
type Config struct {
	// Store is the ledger whose global log the scheduler follows.
	Store eventstore.Store
	// Handler fires the expiries. It must decide at Clock.Now
	// (commands.WithClock(clock.Now)), or a deadline due by the
	// scheduler's clock would be refused as not yet due by the handler's.
	Handler *commands.Handler
	// Clock says when a deadline is due.
	Clock clock.Clock
	// Logger receives one line per expiry fired and per failure. Default:
	// slog.Default().
	Logger *slog.Logger
	// Workers is how many expiries are fired at once. Firing in parallel
	// lets the store group their commits. Default 8.
	Workers int
	// Batch is the most due deadlines taken from the index per round.
	// Default 256.
	Batch int
	// RetryDelay is how long (real time) a deadline waits after a failed
	// attempt before it is tried again. Default 1s.
	RetryDelay time.Duration
	// PageSize is the number of events read per page while catching up
	// with the log at start. Default 1024.
	PageSize int
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.Batch <= 0 {
		c.Batch = 256
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = time.Second
	}
	if c.PageSize <= 0 {
		c.PageSize = 1024
	}
}

// Stats counts what a scheduler did. Refused counts expiries the rules
// refused because the deadline was met, moved or the ticket closed between
// the scheduler's look and its command: a normal race, not an error.
type Stats struct {
	Fired      uint64 // expiries this scheduler recorded
	Duplicates uint64 // expiries another scheduler (or an earlier attempt) had recorded
	Refused    uint64 // deadline no longer open, ticket closed, or not yet due
	Failed     uint64 // attempts that failed and will be retried
	Position   uint64 // global position the index has reached
	Open       int    // tickets the index holds
	CaughtUp   bool   // the index has read the log up to its head once
}

// Scheduler fires due deadlines as system commands. Each expiry's command
// id is commands.ExpiryCommandID, deterministic in the ticket, the deadline
// and its due time, and the handler is idempotent by command id: any
// number of schedulers on one ledger record each expiry once.
type Scheduler struct {
	cfg   Config
	index *Index
	wake  chan struct{}

	fired, duplicates, refused, failed atomic.Uint64
	caughtUp                           atomic.Bool

	mu    sync.Mutex
	retry []retryEntry
}

type retryEntry struct {
	due Due
	at  time.Time // real time
}

// New returns a scheduler; Run starts it.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Store == nil || cfg.Handler == nil || cfg.Clock == nil {
		return nil, errors.New("scheduler: Store, Handler and Clock are required")
	}
	cfg.setDefaults()
	return &Scheduler{cfg: cfg, index: NewIndex(), wake: make(chan struct{}, 1)}, nil
}

// Stats returns the scheduler's counters.
func (s *Scheduler) Stats() Stats {
	return Stats{Fired: s.fired.Load(), Duplicates: s.duplicates.Load(), Refused: s.refused.Load(), Failed: s.failed.Load(),
		Position: s.index.Position(), Open: s.index.Open(), CaughtUp: s.caughtUp.Load()}
}

// Run reads the log up to its head, then follows it and fires deadlines as
// they fall due, until ctx ends (returning nil) or the log cannot be read.
func (s *Scheduler) Run(ctx context.Context) error {
	pos, err := s.catchUp(ctx)
	if err != nil {
		return err
	}
	s.caughtUp.Store(true)
	sub, err := s.cfg.Store.Subscribe(ctx, pos)
	if err != nil {
		return fmt.Errorf("scheduler: follow the log: %w", err)
	}
	followErr := make(chan error, 1)
	go func() { followErr <- s.follow(ctx, sub) }()
	for {
		s.fireDue(ctx)
		if err := s.wait(ctx, followErr); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// catchUp reads the whole log into the index, page by page, and returns the
// position reached.
func (s *Scheduler) catchUp(ctx context.Context) (uint64, error) {
	var pos uint64
	for {
		recs, err := s.cfg.Store.ReadAll(ctx, pos, s.cfg.PageSize)
		if err != nil {
			return 0, fmt.Errorf("scheduler: read the log after %d: %w", pos, err)
		}
		for _, rec := range recs {
			if err := s.apply(rec); err != nil {
				return 0, err
			}
			pos = rec.Position
		}
		if len(recs) < s.cfg.PageSize {
			return pos, nil
		}
	}
}

// follow applies live events and wakes the firing loop after each.
func (s *Scheduler) follow(ctx context.Context, sub eventstore.Subscription) error {
	for rec := range sub.Events() {
		if err := s.apply(rec); err != nil {
			return err
		}
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	if err := sub.Err(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("scheduler: follow the log: %w", err)
	}
	return ctx.Err()
}

func (s *Scheduler) apply(rec eventstore.RecordedEvent) error {
	env, err := events.Decode(rec.Data)
	if err != nil {
		// The ledger's own events always decode; one that does not is
		// corruption an auditor must see, and firing on a partial view
		// would be guessing.
		return fmt.Errorf("scheduler: event at position %d: %w", rec.Position, err)
	}
	s.index.Apply(env, rec.Position)
	return nil
}

// wait sleeps until the next deadline falls due, a new event arrives, a
// failed expiry is due for a retry, or ctx ends.
func (s *Scheduler) wait(ctx context.Context, followErr <-chan error) error {
	var due <-chan time.Time
	if next, ok := s.index.Next(); ok {
		ch, stop := s.cfg.Clock.NewTimer(next.Sub(s.cfg.Clock.Now()))
		defer stop()
		due = ch
	}
	var retry <-chan time.Time
	if at, ok := s.nextRetry(); ok {
		timer := time.NewTimer(time.Until(at))
		defer timer.Stop()
		retry = timer.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case err := <-followErr:
		if err == nil {
			err = errors.New("scheduler: the log subscription ended")
		}
		return err
	case <-s.wake:
	case <-due:
	case <-retry:
	}
	return nil
}

// fireDue fires every deadline due now, Workers at a time.
func (s *Scheduler) fireDue(ctx context.Context) {
	s.requeue()
	for ctx.Err() == nil {
		batch := s.index.PopDue(s.cfg.Clock.Now(), s.cfg.Batch)
		if len(batch) == 0 {
			return
		}
		sem := make(chan struct{}, s.cfg.Workers)
		var wg sync.WaitGroup
		for _, d := range batch {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				s.fire(ctx, d)
			}()
		}
		wg.Wait()
	}
}

// FireDue fires, once, every deadline due by the clock and waits for them:
// for tests and tools that drive the scheduler step by step. The index must
// have been filled by Run or Sync first.
func (s *Scheduler) FireDue(ctx context.Context) { s.fireDue(ctx) }

// Sync reads the log from where the index stands up to its head.
func (s *Scheduler) Sync(ctx context.Context) error {
	pos := s.index.Position()
	for {
		recs, err := s.cfg.Store.ReadAll(ctx, pos, s.cfg.PageSize)
		if err != nil {
			return fmt.Errorf("scheduler: read the log after %d: %w", pos, err)
		}
		for _, rec := range recs {
			if err := s.apply(rec); err != nil {
				return err
			}
			pos = rec.Position
		}
		if len(recs) < s.cfg.PageSize {
			return nil
		}
	}
}

// fire records one expiry and sorts the outcome.
func (s *Scheduler) fire(ctx context.Context, d Due) {
	id := commands.ExpiryCommandID(d.TicketID, d.Kind, d.DueAt)
	req := commands.Request{CommandID: id, CorrelationID: d.TicketID, TicketID: d.TicketID,
		Actor: events.SystemActor(), Command: domain.ExpireDeadline{}.CommandName()}
	res, err := s.cfg.Handler.Handle(ctx, req, domain.ExpireDeadline{Deadline: d.Kind})
	log := s.cfg.Logger.With("ticket_id", d.TicketID, "deadline", string(d.Kind), "due_at", d.DueAt, "command_id", id)
	var notDue *domain.DeadlineNotDueError
	switch {
	case err == nil && res.Duplicate:
		s.duplicates.Add(1)
		s.index.Observe(res.Ticket)
		log.Debug("expiry already recorded")
	case err == nil:
		s.fired.Add(1)
		s.index.Observe(res.Ticket)
		log.Info("deadline expired", "events", len(res.Events), "revision", res.Revision)
	case errors.As(err, &notDue):
		// The handler's clock is behind ours: try again when it is due.
		s.refused.Add(1)
		s.retryLater(d)
		log.Warn("deadline not yet due by the handler's clock; is it given the scheduler's clock?", "err", err)
	case errors.Is(err, domain.ErrDeadlineNotOpen), errors.Is(err, domain.ErrTicketClosed):
		s.refused.Add(1)
		log.Debug("deadline met or closed before its expiry", "err", err)
	case ctx.Err() != nil:
		s.index.Push(d) // shutting down; nothing to count
	default:
		switch commands.Classify(err).Kind {
		case commands.KindConflict, commands.KindUnavailable, commands.KindInternal:
			s.failed.Add(1)
			s.retryLater(d)
			log.Warn("expiry failed; will retry", "err", err)
		default:
			// Another refusal by the rules would be refused again: not retried.
			s.refused.Add(1)
			log.Warn("expiry refused", "err", err)
		}
	}
}

func (s *Scheduler) retryLater(d Due) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retry = append(s.retry, retryEntry{due: d, at: time.Now().Add(s.cfg.RetryDelay)})
}

// requeue puts back the failed deadlines whose retry time has come.
func (s *Scheduler) requeue() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	kept := s.retry[:0]
	for _, r := range s.retry {
		if r.at.After(now) {
			kept = append(kept, r)
			continue
		}
		s.index.Push(r.due)
	}
	s.retry = kept
}

func (s *Scheduler) nextRetry() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var first time.Time
	for i, r := range s.retry {
		if i == 0 || r.at.Before(first) {
			first = r.at
		}
	}
	return first, len(s.retry) > 0
}
