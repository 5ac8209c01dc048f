package main

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/commands/scheduler"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/internal/clock"
	"github.com/disputes-ledger/disputes/projections"
)

// simulation plays scenarios through the real command path on a simulated
// clock, and lets the real scheduler fire the deadlines as the clock passes
// them: before each step it steps the scheduler at each due time the
// open-deadlines read model (kept by the demo's projector) lists up to the
// step's. Whenever a command since the last look left a ticket with a
// deadline due by then, it first waits for the read model to reach the head
// of the log, so that no deadline is seen late.
type simulation struct {
	store   eventstore.Store
	h       *commands.Handler
	clock   *clock.ManualClock
	sched   *scheduler.Scheduler
	db      *projections.DB
	head    uint64    // the last position of the log seen
	stepped time.Time // the last time the scheduler was stepped at
	// unseen is the earliest deadline open on a ticket a command changed
	// since the read model was last awaited (zero: none).
	unseen  time.Time
	tickets map[string]domain.Ticket
	stats   simStats
}

type simStats struct {
	commands, refused, events, fired, preempted int
	refusals                                    map[string]int
}

type timedStep struct {
	at       time.Time
	scenario string
	ticket   string
	index    int
	step     scenarios.Step
}

// newSimulation returns a simulation of the ledger in store, whose
// open-deadlines read model a projector keeps in db. h must decide commands
// without a time of their own at clk's (the scheduler's expiries).
func newSimulation(store eventstore.Store, db *projections.DB, h *commands.Handler, clk *clock.ManualClock) (*simulation, error) {
	sched, err := scheduler.New(scheduler.Config{Deadlines: projections.DeadlineSource(db), Handler: h, Clock: clk, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	return &simulation{store: store, h: h, clock: clk, sched: sched, db: db,
		tickets: map[string]domain.Ticket{}, stats: simStats{refusals: map[string]int{}}}, nil
}

// run interleaves all scenarios' steps in time order, then lets the clock run
// on until every open deadline has fired.
func (s *simulation) run(ctx context.Context, scs []scenarios.Scenario, progress func(done, total int)) error {
	var steps []timedStep
	for _, sc := range scs {
		for i, st := range sc.Steps {
			steps = append(steps, timedStep{at: sc.Start.Add(st.At), scenario: sc.Name, ticket: sc.TicketID, index: i, step: st})
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].at.Before(steps[j].at) })
	for i, ts := range steps {
		if err := s.fireUntil(ctx, ts.at); err != nil {
			return err
		}
		if err := s.play(ctx, ts); err != nil {
			return err
		}
		if progress != nil && i%200 == 0 {
			progress(i, len(steps))
		}
	}
	return s.fireUntil(ctx, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
}

// fireUntil moves the clock from one due time to the next up to until,
// stepping the scheduler at each, so every deadline fires at its due time.
func (s *simulation) fireUntil(ctx context.Context, until time.Time) error {
	for {
		if !s.unseen.IsZero() && !s.unseen.After(until) {
			if err := s.awaitReadModel(ctx); err != nil {
				return err
			}
			s.unseen = time.Time{}
		}
		next, ok, err := projections.NextDeadlineAfter(ctx, s.db, s.stepped)
		if err != nil {
			return err
		}
		if !ok || next.After(until) {
			return nil
		}
		s.clock.Set(next)
		s.stepped = next
		fired, err := s.sched.Step(ctx, next)
		if err != nil {
			return err
		}
		for _, f := range fired {
			if err := s.count(f); err != nil {
				return err
			}
		}
	}
}

// awaitReadModel waits until the open-deadlines read model has every event
// of the log, so that the scheduler sees every deadline started so far.
func (s *simulation) awaitReadModel(ctx context.Context) error {
	for {
		recs, err := s.store.ReadAll(ctx, s.head, 1024)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			break
		}
		s.head = recs[len(recs)-1].Position
	}
	const patience = 30 * time.Second
	for began := time.Now(); ; time.Sleep(50 * time.Microsecond) {
		pos, err := s.db.Checkpoint(ctx, projections.DeadlinesName)
		if err != nil || pos >= s.head {
			return err
		}
		if time.Since(began) > patience {
			return fmt.Errorf("the open-deadlines read model is at position %d, the log at %d: is its projection stopped?", pos, s.head)
		}
	}
}

// count adds what the scheduler did with one deadline to the statistics.
func (s *simulation) count(f scheduler.Firing) error {
	switch f.Outcome {
	case scheduler.Fired:
		s.stats.commands++
		s.stats.fired++
		s.stats.events += f.Events
		s.changed(f.Ticket)
	case scheduler.Refused:
		s.stats.commands++
		s.stats.refused++
		s.stats.refusals[commands.Classify(f.Err).Code]++
	case scheduler.Failed:
		return fmt.Errorf("expire %s of ticket %s: %w", f.Kind, f.TicketID, f.Err)
	}
	return nil
}

// changed records a ticket's state after a command, and the earliest of
// the deadlines it started or moved, which the read model may not list yet.
func (s *simulation) changed(t domain.Ticket) {
	before := s.tickets[t.ID].Deadlines
	s.tickets[t.ID] = t
	for _, d := range t.OpenDeadlines() {
		if was, ok := before[d.Kind]; ok && was.Equal(d.DueAt) {
			continue
		}
		if s.unseen.IsZero() || d.DueAt.Before(s.unseen) {
			s.unseen = d.DueAt
		}
	}
}

func (s *simulation) play(ctx context.Context, ts timedStep) error {
	if exp, ok := ts.step.Command.(domain.ExpireDeadline); ok && ts.step.Actor.Role == events.RoleSystem {
		if _, open := s.tickets[ts.ticket].Deadlines[exp.Deadline]; !open {
			s.stats.preempted++ // the scheduler fired it already, as it would in production
			return nil
		}
		return s.expire(ctx, ts.ticket, exp.Deadline, ts.at)
	}
	at := ts.at
	req := commands.Request{
		CommandID: fmt.Sprintf("%s-%03d", ts.scenario, ts.index), CorrelationID: ts.ticket, TicketID: ts.ticket,
		Actor: ts.step.Actor, Command: ts.step.Command.CommandName(), At: &at,
	}
	_, err := s.handle(ctx, req, ts.step.Command)
	return err
}

// handle issues one command and counts its outcome; it reports whether
// the command recorded events.
func (s *simulation) handle(ctx context.Context, req commands.Request, cmd domain.Command) (bool, error) {
	s.stats.commands++
	res, err := s.h.Handle(ctx, req, cmd)
	if err != nil {
		class := commands.Classify(err)
		if class.Kind == commands.KindInternal || class.Kind == commands.KindUnavailable {
			return false, err
		}
		s.stats.refused++
		s.stats.refusals[class.Code]++
		return false, nil
	}
	s.stats.events += len(res.Fired) + len(res.Events)
	s.changed(res.Ticket)
	return len(res.Events) > 0, nil
}

// expire fires a deadline a scenario scripts, if the scheduler has not.
func (s *simulation) expire(ctx context.Context, ticket string, kind events.DeadlineKind, at time.Time) error {
	due := s.tickets[ticket].Deadlines[kind]
	req := commands.Request{
		CommandID: commands.ExpiryCommandID(ticket, kind, due), TicketID: ticket, CorrelationID: ticket,
		Actor: events.SystemActor(), Command: domain.ExpireDeadline{}.CommandName(), At: &at,
	}
	recorded, err := s.handle(ctx, req, domain.ExpireDeadline{Deadline: kind})
	if recorded {
		s.stats.fired++
	}
	return err
}
