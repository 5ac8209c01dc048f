package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/internal/clock"
)

// Due is one open deadline as the read model lists it.
type Due struct {
	TicketID string
	Kind     events.DeadlineKind
	DueAt    time.Time
}

// Deadlines is the read model of open deadlines the scheduler fires from
// (projections.Deadlines, wired by cmd). It may lag behind the log.
type Deadlines interface {
	// Due returns up to limit open deadlines due at or before now, ordered
	// by due time, ticket and kind, starting after the key after (the zero
	// Due starts at the first).
	Due(ctx context.Context, now time.Time, after Due, limit int) ([]Due, error)
	// NextAfter returns the earliest due time of an open deadline due
	// after t, and false when none is.
	NextAfter(ctx context.Context, t time.Time) (time.Time, bool, error)
}

// Config sets a Scheduler up. Deadlines, Handler and Clock are required.
type Config struct {
	// Deadlines is the read model the due deadlines are read from.
	Deadlines Deadlines
	// Handler fires the expiries. It must decide at Clock.Now
	// (commands.WithClock(clock.Now)), or a deadline due by the
	// scheduler's clock would be refused as not yet due by the handler's.
	Handler *commands.Handler
	// Clock says when a deadline is due, for Run.
	Clock clock.Clock
	// Logger receives one line per expiry fired and per failure. Default:
	// slog.Default().
	Logger *slog.Logger
	// Workers is how many expiries are fired at once. Firing in parallel
	// lets the store group their commits. Default 8.
	Workers int
	// Batch is the most due deadlines read from the read model at once.
	// Default 256.
	Batch int
	// RetryDelay is how long (real time) a deadline waits after a failed
	// attempt before it is tried again. Default 1s.
	RetryDelay time.Duration
	// Poll is how often (real time) Run looks at the read model between
	// deadlines, for deadlines it learnt of since. Default 1s.
	Poll time.Duration
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
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
}

// Outcome is what came of firing one deadline.
type Outcome string

// The outcomes.
const (
	// Fired: this scheduler recorded the expiry.
	Fired Outcome = "fired"
	// Duplicate: the expiry was on record already (another scheduler, a
	// late command, or an earlier attempt recorded it).
	Duplicate Outcome = "duplicate"
	// Stale: the ticket no longer has this deadline open (met, moved or
	// closed) and the read model had not caught up yet; nothing was sent.
	Stale Outcome = "stale"
	// Refused: the rules refused the expiry (the deadline was met or the
	// ticket closed between the scheduler's look and its command).
	Refused Outcome = "refused"
	// Failed: the attempt failed (a conflict, the store unavailable, or
	// the handler's clock behind) and is retried after RetryDelay.
	Failed Outcome = "failed"
)

// Firing is one deadline a Step acted on and what came of it.
type Firing struct {
	Due
	Outcome Outcome
	// Events is how many events the expiry's command recorded (Fired
	// only): the expiry, what it caused, and the expiries of any earlier
	// deadlines of the ticket that were overdue with it.
	Events int
	// Ticket is the ticket's state after the expiry (Fired and Duplicate).
	Ticket domain.Ticket
	// Err says why the expiry was refused or failed.
	Err error
}

// Status is what a scheduler has done, for metrics and supervision.
type Status struct {
	Fired, Duplicates, Stale, Refused, Failed uint64
	// Steps counts the steps taken; LastStep is the time the last one was
	// taken at (by the scheduler's clock, or Step's now).
	Steps    uint64
	LastStep time.Time
	// Waiting counts deadlines acted on that the read model still lists:
	// how far it lags behind this scheduler's expiries.
	Waiting int
	// Err is the last step's error: nil once a step succeeds again.
	Err error
}

// Scheduler fires due deadlines as system commands. It holds no ticket:
// each step reads the deadlines due from the read model, a batch at a
// time, and remembers only the ones it acted on until the read model no
// longer lists them, so its memory follows the deadlines due, not the
// history.
//
// Each expiry's command id is commands.ExpiryCommandID, deterministic in
// the ticket, the deadline and its due time, and the handler is idempotent
// by command id: any number of schedulers on one ledger record each expiry
// once.
type Scheduler struct {
	cfg Config

	step   sync.Mutex // one step at a time
	mu     sync.Mutex // guards what follows
	acted  map[Due]acted
	status Status
}

// acted is a deadline a step acted on, kept while the read model lists it.
type acted struct {
	retryAt time.Time // real time; zero: done, never again while listed
}

// New returns a scheduler; Run or Step drives it.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Deadlines == nil || cfg.Handler == nil || cfg.Clock == nil {
		return nil, errors.New("scheduler: Deadlines, Handler and Clock are required")
	}
	cfg.setDefaults()
	return &Scheduler{cfg: cfg, acted: map[Due]acted{}}, nil
}

// Status returns what the scheduler has done so far.
func (s *Scheduler) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	st.Waiting = len(s.acted)
	return st
}

// Step fires every open deadline the read model lists as due at or before
// now, earliest first, Workers at a time, and returns what it did. A
// deadline an expiry starts that is already due at now is fired in the
// same step; one the read model has not learnt of yet is fired by a later
// step (it takes effect at its due time all the same). A deadline already
// acted on is not fired again while the read model still lists it, unless
// its attempt failed and RetryDelay has passed.
//
// The handler decides each expiry at its own clock, which must not be
// behind now: tests, the demo and simulators drive a shared manual clock
// and step at its time.
func (s *Scheduler) Step(ctx context.Context, now time.Time) ([]Firing, error) {
	s.step.Lock()
	defer s.step.Unlock()
	var (
		out   []Firing
		after Due
		seen  = map[Due]bool{}
	)
	for {
		batch, err := s.cfg.Deadlines.Due(ctx, now, after, s.cfg.Batch)
		if err != nil {
			err = fmt.Errorf("scheduler: read due deadlines: %w", err)
			s.stepped(now, err)
			return out, err
		}
		var fire []Due
		for _, d := range batch {
			d.DueAt = d.DueAt.UTC()
			seen[d] = true
			if s.ready(d) {
				fire = append(fire, d)
			}
		}
		out = append(out, s.fireAll(ctx, now, fire, seen)...)
		if len(batch) < s.cfg.Batch || ctx.Err() != nil {
			break
		}
		after = batch[len(batch)-1]
	}
	s.forget(seen)
	s.stepped(now, ctx.Err())
	return out, ctx.Err()
}

// ready reports whether d is to be fired: never acted on, or failed and
// due for a retry.
func (s *Scheduler) ready(d Due) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.acted[d]
	return !ok || !a.retryAt.IsZero() && !time.Now().Before(a.retryAt)
}

// forget drops the deadlines acted on that the read model no longer lists:
// it has caught up with them.
func (s *Scheduler) forget(listed map[Due]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for d := range s.acted {
		if !listed[d] {
			delete(s.acted, d)
		}
	}
}

func (s *Scheduler) stepped(now time.Time, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.Steps++
	s.status.LastStep = now
	s.status.Err = err
}

// fireAll fires ds, Workers at a time, then the deadlines their expiries
// started that are already due at now (each ticket's own
// domain.Ticket.Overdue), until none is left.
func (s *Scheduler) fireAll(ctx context.Context, now time.Time, ds []Due, seen map[Due]bool) []Firing {
	var out []Firing
	for len(ds) > 0 && ctx.Err() == nil {
		done := make([]Firing, len(ds))
		sem := make(chan struct{}, s.cfg.Workers)
		var wg sync.WaitGroup
		for i, d := range ds {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				done[i] = s.fire(ctx, d, now)
			}()
		}
		wg.Wait()
		ds = nil
		for _, f := range done {
			if f.Outcome != Fired {
				continue
			}
			for _, o := range f.Ticket.Overdue(now) {
				d := Due{TicketID: f.TicketID, Kind: o.Kind, DueAt: o.DueAt.UTC()}
				if !seen[d] && s.ready(d) {
					seen[d] = true
					ds = append(ds, d)
				}
			}
		}
		out = append(out, done...)
	}
	return out
}

// fire records one expiry and sorts the outcome. The ticket is read first:
// a read model behind the log may list a deadline that was met, or started
// again with another due time, and firing it would record the expiry of
// the deadline the ticket has now under the old one's command id.
func (s *Scheduler) fire(ctx context.Context, d Due, now time.Time) Firing {
	f := Firing{Due: d}
	log := s.cfg.Logger.With("ticket_id", d.TicketID, "deadline", string(d.Kind), "due_at", d.DueAt)
	t, _, err := s.cfg.Handler.Load(ctx, d.TicketID)
	if err != nil {
		return s.settle(f, Failed, err, log)
	}
	due, open := t.Deadlines[d.Kind]
	if !open || !due.UTC().Truncate(time.Microsecond).Equal(d.DueAt.Truncate(time.Microsecond)) {
		return s.settle(f, Stale, nil, log)
	}
	id := commands.ExpiryCommandID(d.TicketID, d.Kind, due)
	log = log.With("command_id", id)
	req := commands.Request{CommandID: id, CorrelationID: d.TicketID, TicketID: d.TicketID,
		Actor: events.SystemActor(), Command: domain.ExpireDeadline{}.CommandName()}
	res, err := s.cfg.Handler.Handle(ctx, req, domain.ExpireDeadline{Deadline: d.Kind})
	var notDue *domain.DeadlineNotDueError
	switch {
	case err == nil && res.Duplicate:
		f.Ticket = res.Ticket
		return s.settle(f, Duplicate, nil, log)
	case err == nil:
		f.Ticket, f.Events = res.Ticket, len(res.Fired)+len(res.Events)
		log.Info("deadline expired", "events", len(res.Events), "revision", res.Revision, "late", now.Sub(due).String())
		return s.settle(f, Fired, nil, log)
	case errors.As(err, &notDue):
		log.Warn("deadline not yet due by the handler's clock; is it given the scheduler's clock?", "err", err)
		return s.settle(f, Failed, err, log)
	case errors.Is(err, domain.ErrDeadlineNotOpen), errors.Is(err, domain.ErrTicketClosed):
		return s.settle(f, Refused, err, log)
	case ctx.Err() != nil:
		// Shutting down: not acted on, so a later step tries it again.
		f.Outcome, f.Err = Failed, err
		return f
	}
	switch commands.Classify(err).Kind {
	case commands.KindConflict, commands.KindUnavailable, commands.KindInternal:
		return s.settle(f, Failed, err, log)
	}
	// Any other refusal by the rules would be refused again: not retried.
	log.Warn("expiry refused", "err", err)
	return s.settle(f, Refused, err, log)
}

// settle records f's outcome: in the counters, and in the deadlines acted
// on (a failed one with the time of its retry).
func (s *Scheduler) settle(f Firing, o Outcome, err error, log *slog.Logger) Firing {
	f.Outcome, f.Err = o, err
	s.mu.Lock()
	defer s.mu.Unlock()
	var a acted
	switch o {
	case Fired:
		s.status.Fired++
	case Duplicate:
		s.status.Duplicates++
		log.Debug("expiry already recorded")
	case Stale:
		s.status.Stale++
		log.Debug("the read model is behind: deadline no longer open as listed")
	case Refused:
		s.status.Refused++
		log.Debug("deadline met or closed before its expiry", "err", err)
	case Failed:
		s.status.Failed++
		a.retryAt = time.Now().Add(s.cfg.RetryDelay)
		log.Warn("expiry failed; will retry", "err", err)
	}
	s.acted[f.Due] = a
	return f
}

// Run steps at the clock's time whenever a deadline falls due, and at
// least every Poll for deadlines the read model learnt of meanwhile, until
// ctx ends (returning nil). A step that cannot read the read model is
// logged, kept in Status, and tried again after RetryDelay.
func (s *Scheduler) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		now := s.cfg.Clock.Now()
		wait := s.cfg.Poll
		if _, err := s.Step(ctx, now); err != nil {
			if ctx.Err() != nil {
				break
			}
			s.cfg.Logger.Warn("scheduler step failed; will retry", "err", err)
			wait = s.cfg.RetryDelay
		}
		if at, ok := s.nextRetry(); ok {
			wait = min(wait, time.Until(at))
		}
		var (
			due     <-chan time.Time
			stopDue = func() {}
		)
		if next, ok, err := s.cfg.Deadlines.NextAfter(ctx, now); err == nil && ok {
			due, stopDue = s.cfg.Clock.NewTimer(next.Sub(now))
		}
		timer := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
		case <-due:
		case <-timer.C:
		}
		timer.Stop()
		stopDue()
	}
	return nil
}

// nextRetry returns the earliest retry time of a failed deadline.
func (s *Scheduler) nextRetry() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var first time.Time
	for _, a := range s.acted {
		if !a.retryAt.IsZero() && (first.IsZero() || a.retryAt.Before(first)) {
			first = a.retryAt
		}
	}
	return first, !first.IsZero()
}
