package main

import (
	"container/heap"
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
)

// simulation plays scenarios through the real command path on a simulated
// clock, firing deadlines as the clock passes them, as the scheduler would.
type simulation struct {
	h       *commands.Handler
	due     dueQueue
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

func newSimulation(h *commands.Handler) *simulation {
	return &simulation{h: h, tickets: map[string]domain.Ticket{}, stats: simStats{refusals: map[string]int{}}}
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
		if err := s.fireDue(ctx, ts.at); err != nil {
			return err
		}
		if err := s.play(ctx, ts); err != nil {
			return err
		}
		if progress != nil && i%200 == 0 {
			progress(i, len(steps))
		}
	}
	return s.fireDue(ctx, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
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
	return s.handle(ctx, req, ts.step.Command)
}

func (s *simulation) handle(ctx context.Context, req commands.Request, cmd domain.Command) error {
	s.stats.commands++
	res, err := s.h.Handle(ctx, req, cmd)
	if err != nil {
		class := commands.Classify(err)
		if class.Kind == commands.KindInternal || class.Kind == commands.KindUnavailable {
			return err
		}
		s.stats.refused++
		s.stats.refusals[class.Code]++
		return nil
	}
	s.stats.events += len(res.Events)
	s.tickets[res.TicketID] = res.Ticket
	for _, d := range res.Ticket.OpenDeadlines() {
		heap.Push(&s.due, dueEntry{at: d.DueAt, ticket: res.TicketID, kind: d.Kind})
	}
	return nil
}

// fireDue fires every deadline due at or before now, earliest first.
func (s *simulation) fireDue(ctx context.Context, now time.Time) error {
	for s.due.Len() > 0 && !s.due[0].at.After(now) {
		d := heap.Pop(&s.due).(dueEntry)
		if due, open := s.tickets[d.ticket].Deadlines[d.kind]; !open || !due.Equal(d.at) {
			continue // stale entry: the deadline was met or replaced
		}
		if err := s.expire(ctx, d.ticket, d.kind, d.at); err != nil {
			return err
		}
	}
	return nil
}

func (s *simulation) expire(ctx context.Context, ticket string, kind events.DeadlineKind, at time.Time) error {
	due := s.tickets[ticket].Deadlines[kind]
	req := commands.Request{
		CommandID: commands.ExpiryCommandID(ticket, kind, due), TicketID: ticket, CorrelationID: ticket,
		Actor: events.SystemActor(), Command: "expire_deadline", At: &at,
	}
	before := s.stats.events
	if err := s.handle(ctx, req, domain.ExpireDeadline{Deadline: kind}); err != nil {
		return err
	}
	if s.stats.events > before {
		s.stats.fired++
	}
	return nil
}

type dueEntry struct {
	at     time.Time
	ticket string
	kind   events.DeadlineKind
}

type dueQueue []dueEntry

func (q dueQueue) Len() int           { return len(q) }
func (q dueQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q dueQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *dueQueue) Push(x any)        { *q = append(*q, x.(dueEntry)) }
func (q *dueQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
