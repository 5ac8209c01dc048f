package audit_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/internal/fixture"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
)

// rewriteEvent changes the event at pos with mutate and re-chains its
// stream from there with fresh hashes, so that only the legality checks can
// object. It returns the event as rewritten.
func rewriteEvent(t *testing.T, m *fixture.Memory, pos uint64, mutate func(*events.Envelope)) events.Envelope {
	t.Helper()
	target, err := events.Decode(m.Records[pos-1].Data)
	require.NoError(t, err)
	var positions []uint64
	var envs []events.Envelope
	var prev *events.Envelope
	for _, r := range m.Records {
		if r.Stream != target.Stream {
			continue
		}
		env, err := events.Decode(r.Data)
		require.NoError(t, err)
		if r.Position < pos {
			prev = &env
			continue
		}
		if r.Position == pos {
			mutate(&env)
		}
		positions, envs = append(positions, r.Position), append(envs, env)
	}
	sealed, wire, err := events.Link(prev, envs)
	require.NoError(t, err)
	for i, p := range positions {
		// The whole row, columns included: an operator rewriting history
		// consistently, which only the rules can catch.
		m.Records[p-1] = recordOf(sealed[i], wire[i], p)
	}
	return sealed[0]
}

// appendEvent appends an event to a ticket's stream at the end of the log.
func appendEvent(t *testing.T, m *fixture.Memory, stream string, at time.Time, actor events.Actor, p events.Payload) uint64 {
	t.Helper()
	return appendCommandEvent(t, m, stream, at, actor, "injected", p)
}

// appendCommandEvent is appendEvent under the command id commandID.
func appendCommandEvent(t *testing.T, m *fixture.Memory, stream string, at time.Time, actor events.Actor, commandID string, p events.Payload) uint64 {
	t.Helper()
	var last *events.Envelope
	for _, r := range m.Records {
		if r.Stream == stream {
			env, err := events.Decode(r.Data)
			require.NoError(t, err)
			last = &env
		}
	}
	require.NotNil(t, last)
	version, _ := events.SchemaVersionOf(p.EventType())
	env := events.Envelope{ID: last.ID, Stream: stream, Type: p.EventType(), SchemaVersion: version,
		OccurredAt: at, Actor: actor, CommandID: commandID, CorrelationID: "injected", Payload: p}
	env.ID[15]++ // any id: the verifier reads ids only from the hashed data
	sealed, wire, err := events.Link(last, []events.Envelope{env})
	require.NoError(t, err)
	pos := uint64(len(m.Records) + 1)
	m.Records = append(m.Records, recordOf(sealed[0], wire[0], pos))
	return pos
}

// find returns the position of the first event of typ in a flow of kind,
// and its envelope.
func find(t *testing.T, m *fixture.Memory, kind, typ string) (uint64, events.Envelope) {
	t.Helper()
	for _, r := range m.Records {
		env, err := events.Decode(r.Data)
		require.NoError(t, err)
		if env.Type == typ && flowKindOf(t, m, env.Stream) == kind {
			return r.Position, env
		}
	}
	require.Failf(t, "not found", "no %s in a %s flow", typ, kind)
	return 0, events.Envelope{}
}

// flowKindOf recovers a ticket's flow kind from its number.
func flowKindOf(t *testing.T, _ *fixture.Memory, stream string) string {
	var i int
	_, err := fmt.Sscanf(events.TicketOf(stream), "T-%d", &i)
	require.NoError(t, err)
	return fixture.KindOf(i)
}

// positionIn returns the position of the first event of typ in stream.
func positionIn(t *testing.T, m *fixture.Memory, stream, typ string) uint64 {
	t.Helper()
	for _, r := range m.Records {
		if r.Stream == stream && r.Type == typ {
			return r.Position
		}
	}
	require.Failf(t, "not found", "no %s in %s", typ, stream)
	return 0
}

// nextOf returns the position and type of the event after pos in stream.
func nextOf(t *testing.T, m *fixture.Memory, stream string, pos uint64) (uint64, string) {
	t.Helper()
	for _, r := range m.Records {
		if r.Stream == stream && r.Position > pos {
			return r.Position, r.Type
		}
	}
	require.Failf(t, "not found", "nothing after position %d in %s", pos, stream)
	return 0, ""
}

func recordOf(env events.Envelope, data []byte, pos uint64) eventstore.RecordedEvent {
	return eventstore.RecordedEvent{ID: env.ID, Stream: env.Stream, Revision: env.Revision, Type: env.Type, Data: data, Position: pos}
}

func TestLegalityChecks(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	tests := []struct {
		name   string
		tamper func(t *testing.T, m *fixture.Memory) uint64 // returns the position expected in the finding
		want   []audit.Check
	}{
		{"ruling by an agent", func(t *testing.T, m *fixture.Memory) uint64 {
			pos, _ := find(t, m, fixture.KindRuledPending, events.TypeRulingRecorded)
			rewriteEvent(t, m, pos, func(e *events.Envelope) { e.Actor = events.Actor{Role: events.RoleAgent, ID: "cs-9"} })
			return pos
		}, []audit.Check{audit.CheckRulingRole}},
		{"ruling before review", func(t *testing.T, m *fixture.Memory) uint64 {
			pos, env := find(t, m, fixture.KindRuledPending, events.TypeDeadlineExpired)
			// The evidence window's expiry becomes an agent's message (one
			// the rules allow): the ticket never reaches review.
			rewriteEvent(t, m, pos, func(e *events.Envelope) {
				e.Type, e.Actor = events.TypeMessagePosted, events.Actor{Role: events.RoleAgent, ID: "cs-1"}
				e.Payload = events.MessagePosted{Party: events.RoleAgent, Text: "tick", PolicyVersion: pol.Version}
			})
			next, _ := nextOf(t, m, env.Stream, pos)
			return next
		}, []audit.Check{audit.CheckRulingState}},
		{"refund above the price", func(t *testing.T, m *fixture.Memory) uint64 {
			pos, _ := find(t, m, fixture.KindRuledPending, events.TypeRulingRecorded)
			rewriteEvent(t, m, pos, func(e *events.Envelope) {
				p := e.Payload.(events.RulingRecorded)
				p.Refund = 1 << 40
				e.Payload = p
			})
			return pos
		}, []audit.Check{audit.CheckRulingTerms}},
		{"counterfeit compensation not the policy's multiple", func(t *testing.T, m *fixture.Memory) uint64 {
			pos, _ := find(t, m, fixture.KindRuledPending, events.TypeRulingRecorded)
			rewriteEvent(t, m, pos, func(e *events.Envelope) {
				p := e.Payload.(events.RulingRecorded)
				p.Counterfeit, p.Compensation = true, 3*p.Refund
				e.Payload = p
			})
			return pos
		}, []audit.Check{audit.CheckRulingTerms}},
		{"late flag hidden", func(t *testing.T, m *fixture.Memory) uint64 {
			pos, _ := find(t, m, fixture.KindRuledPending, events.TypeRulingRecorded)
			rewriteEvent(t, m, pos, func(e *events.Envelope) {
				p := e.Payload.(events.RulingRecorded)
				p.Late = !p.Late
				e.Payload = p
			})
			return pos
		}, []audit.Check{audit.CheckRulingLate}},
		{"stored due time moved", func(t *testing.T, m *fixture.Memory) uint64 {
			pos, _ := find(t, m, fixture.KindQuickRefund, events.TypeRefundRequested)
			rewriteEvent(t, m, pos, func(e *events.Envelope) {
				p := e.Payload.(events.RefundRequested)
				p.Deadlines = []events.ScheduledDeadline{{Kind: events.DeadlineMerchantResponse, DueAt: p.Deadlines[0].DueAt.Add(time.Hour)}}
				e.Payload = p
			})
			return pos
		}, []audit.Check{audit.CheckDeadlineSchedule}},
		{"unknown policy version", func(t *testing.T, m *fixture.Memory) uint64 {
			pos, _ := find(t, m, fixture.KindQuickRefund, events.TypeRefundRequested)
			rewriteEvent(t, m, pos, func(e *events.Envelope) {
				p := e.Payload.(events.RefundRequested)
				p.PolicyVersion = "1999-lost"
				e.Payload = p
			})
			return pos
		}, []audit.Check{audit.CheckPolicyUnknown}},
		{"appeal decided by the ruling arbitrator", func(t *testing.T, m *fixture.Memory) uint64 {
			_, ruling := find(t, m, fixture.KindCounterfeitUpheld, events.TypeRulingRecorded)
			pos := positionIn(t, m, ruling.Stream, events.TypeAppealDecided)
			rewriteEvent(t, m, pos, func(e *events.Envelope) {
				e.Actor = events.Actor{Role: events.RoleSeniorArbitrator, ID: ruling.Actor.ID}
			})
			return pos
			// A decision is one command id and one actor (as the ledger's
			// idempotency record is): the finalisation left under the real
			// senior arbitrator is a decision of its own, and no command
			// decides it alone.
		}, []audit.Check{audit.CheckAppealRole, audit.CheckRulingFinalized}},
		{"overturned terms above the price", func(t *testing.T, m *fixture.Memory) uint64 {
			pos, _ := find(t, m, fixture.KindOverturned, events.TypeAppealDecided)
			rewriteEvent(t, m, pos, func(e *events.Envelope) {
				p := e.Payload.(events.AppealDecided)
				nt := *p.Terms
				nt.Refund = 1 << 40
				p.Terms = &nt
				e.Payload = p
			})
			return pos
			// The finalisation that follows is part of the refused decision:
			// the decision is reported once, at its first event.
		}, []audit.Check{audit.CheckAppealTerms}},
		{"final terms differ from the ruling", func(t *testing.T, m *fixture.Memory) uint64 {
			pos, _ := find(t, m, fixture.KindFinalAfterWindow, events.TypeRulingFinalized)
			rewriteEvent(t, m, pos, func(e *events.Envelope) {
				p := e.Payload.(events.RulingFinalized)
				p.Refund = 1
				e.Payload = p
			})
			return pos
		}, []audit.Check{audit.CheckRulingFinalized}},
		{"appeal after the window", func(t *testing.T, m *fixture.Memory) uint64 {
			pos, _ := find(t, m, fixture.KindOverturned, events.TypeAppealFiled)
			rewriteEvent(t, m, pos, func(e *events.Envelope) { e.OccurredAt = e.OccurredAt.Add(30 * 24 * time.Hour) })
			return pos
		}, []audit.Check{audit.CheckAppealFiled}},
		{"vague promise not flagged", func(t *testing.T, m *fixture.Memory) uint64 {
			pos, _ := find(t, m, fixture.KindOverturned, events.TypeMessagePosted)
			rewriteEvent(t, m, pos, func(e *events.Envelope) {
				p := e.Payload.(events.MessagePosted)
				p.VagueDeadline, p.VagueWords = false, nil
				e.Payload = p
			})
			return pos
		}, []audit.Check{audit.CheckMessageVague}},
		{"deadline fired by the merchant", func(t *testing.T, m *fixture.Memory) uint64 {
			pos, _ := find(t, m, fixture.KindMerchantTimeout, events.TypeDeadlineExpired)
			rewriteEvent(t, m, pos, func(e *events.Envelope) { e.Actor = fixture.Merchant(3) })
			return pos
			// What the expiry caused, still the system's, is then a decision
			// of its own that no command decides (see above).
		}, []audit.Check{audit.CheckDeadlineExpiry, audit.CheckEventRules}},
		{"event after close", func(t *testing.T, m *fixture.Memory) uint64 {
			_, env := find(t, m, fixture.KindQuickRefund, events.TypeRefundIssued)
			return appendEvent(t, m, env.Stream, env.OccurredAt.Add(time.Hour), fixture.Buyer(1),
				events.MessagePosted{Party: events.RoleBuyer, Text: "thanks", PolicyVersion: pol.Version})
		}, []audit.Check{audit.CheckClosedTicket}},
		{"event after close under the closing command", func(t *testing.T, m *fixture.Memory) uint64 {
			// A close ends its decision: what follows it, even under its
			// command id and actor, is a decision on a closed ticket, not
			// an event too many of the close's.
			_, env := find(t, m, fixture.KindQuickRefund, events.TypeRefundIssued)
			return appendCommandEvent(t, m, env.Stream, env.OccurredAt, env.Actor, env.CommandID,
				events.MessagePosted{Party: events.RoleMerchant, Text: "done", PolicyVersion: pol.Version})
		}, []audit.Check{audit.CheckClosedTicket}},
		{"system posts a message", func(t *testing.T, m *fixture.Memory) uint64 {
			pos, _ := find(t, m, fixture.KindRuledPending, events.TypeDeadlineExpired)
			rewriteEvent(t, m, pos, func(e *events.Envelope) {
				e.Type, e.Payload = events.TypeMessagePosted, events.MessagePosted{Party: events.RoleSystem, Text: "tick", PolicyVersion: pol.Version}
			})
			return pos
		}, []audit.Check{audit.CheckEventActor, audit.CheckRulingState}},
		{"agreement by another merchant", func(t *testing.T, m *fixture.Memory) uint64 {
			pos, _ := find(t, m, fixture.KindReturnRefund, events.TypeMerchantAgreed)
			rewriteEvent(t, m, pos, func(e *events.Envelope) { e.Actor.ID = "m-forged" })
			return pos
		}, []audit.Check{audit.CheckEventActor}},
		{"merchant refunds above the price", func(t *testing.T, m *fixture.Memory) uint64 {
			pos, _ := find(t, m, fixture.KindReturnRefund, events.TypeRefundIssued)
			rewriteEvent(t, m, pos, func(e *events.Envelope) {
				p := e.Payload.(events.RefundIssued)
				p.Amount = 1 << 40
				e.Payload = p
			})
			return pos
		}, []audit.Check{audit.CheckEventRules}},
		{"automatic agreement left out of an expiry", func(t *testing.T, m *fixture.Memory) uint64 {
			pos, env := find(t, m, fixture.KindMerchantTimeout, events.TypeDeadlineExpired)
			next, typ := nextOf(t, m, env.Stream, pos)
			require.Equal(t, events.TypeMerchantAgreed, typ)
			rewriteEvent(t, m, next, func(e *events.Envelope) {
				e.Type, e.Payload = events.TypeMessagePosted, events.MessagePosted{Party: events.RoleSystem, Text: "ok", PolicyVersion: pol.Version}
			})
			return next
		}, []audit.Check{audit.CheckDeadlineExpiry}},
		{"first event is not the request", func(t *testing.T, m *fixture.Memory) uint64 {
			pos, env := find(t, m, fixture.KindQuickRefund, events.TypeRefundRequested)
			rewriteEvent(t, m, pos, func(e *events.Envelope) {
				e.Type, e.Payload = events.TypeMessagePosted, events.MessagePosted{Party: events.RoleBuyer, Text: "hello", PolicyVersion: pol.Version}
			})
			require.Equal(t, events.RoleBuyer, env.Actor.Role)
			return pos
		}, []audit.Check{audit.CheckTicketOpen}},
		{"ticket opened twice", func(t *testing.T, m *fixture.Memory) uint64 {
			_, env := find(t, m, fixture.KindRuledPending, events.TypeRulingRecorded)
			open := positionIn(t, m, env.Stream, events.TypeRefundRequested)
			first, err := events.Decode(m.Records[open-1].Data)
			require.NoError(t, err)
			return appendEvent(t, m, env.Stream, env.OccurredAt.Add(time.Hour), first.Actor, first.Payload)
		}, []audit.Check{audit.CheckTicketOpen}},
		{"stream opened by another ticket's request", func(t *testing.T, m *fixture.Memory) uint64 {
			pos, _ := find(t, m, fixture.KindQuickRefund, events.TypeRefundRequested)
			rewriteEvent(t, m, pos, func(e *events.Envelope) {
				p := e.Payload.(events.RefundRequested)
				p.TicketID = "T-other"
				e.Payload = p
			})
			return pos
		}, []audit.Check{audit.CheckTicketOpen}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := memoryLog(t, 14)
			pos := tc.tamper(t, m)
			rep, err := audit.VerifyLog(context.Background(), "memory", m, &fixture.Seals{}, audit.Options{Policies: audit.NewPolicySet(pol), TrustOnFirstUse: true, AllowUnsealed: true})
			require.NoError(t, err)
			assert.Equal(t, tc.want, slices.Sorted(maps.Keys(rep.Counts)), "findings: %+v", rep.Findings)
			f := requireFinding(t, rep, tc.want[0], pos)
			assert.NotEmpty(t, f.Ticket)
			assert.NotNil(t, f.Revision)
		})
	}
}
