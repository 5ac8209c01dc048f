package domain_test

import (
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// TestFoldIsApplyInPlace checks Fold against Apply at every event of the
// seed disputes and of generated ones: the ticket folded in place is the
// ticket Apply returns, and the states Apply returned earlier, which Fold's
// ticket shares nothing with, stay as they were.
func TestFoldIsApplyInPlace(t *testing.T) {
	t.Parallel()
	checked := 0
	for _, sc := range playSeedsAndGenerated(t, 13, 300) {
		var (
			folded  domain.Ticket
			applied []domain.Ticket // Apply's state after each event
			copies  []domain.Snapshot
		)
		for i, env := range sc.envs {
			var prev domain.Ticket
			if i > 0 {
				prev = applied[i-1]
			}
			next := prev.Apply(env)
			applied, copies = append(applied, next), append(copies, next.Snapshot())
			folded.Fold(env)
			if !assert.Equal(t, next, folded, "%s: event %d (%s) folded in place", sc.Name, i, env.Type) {
				return
			}
			checked++
		}
		for i, st := range applied {
			assert.Equal(t, copies[i], st.Snapshot(), "%s: the state after event %d changed after it was returned", sc.Name, i)
		}
	}
	assert.Greater(t, checked, 1000)
}

// TestReuseFoldsAsTheZeroTicket folds every seed and generated dispute, one
// after another, into one ticket emptied by Reuse between them, and checks
// it at every event against the same dispute folded from the zero Ticket:
// nothing of an earlier ticket survives Reuse but empty maps.
func TestReuseFoldsAsTheZeroTicket(t *testing.T) {
	t.Parallel()
	var reused domain.Ticket
	checked, withEvidence := 0, 0
	for _, sc := range playSeedsAndGenerated(t, 17, 300) {
		reused.Reuse()
		var fresh domain.Ticket
		for i, env := range sc.envs {
			fresh.Fold(env)
			reused.Fold(env)
			if !assert.Equal(t, withNilWhenEmpty(fresh), withNilWhenEmpty(reused), "%s: event %d (%s) folded into a reused ticket", sc.Name, i, env.Type) {
				return
			}
			checked++
		}
		if len(fresh.Evidence) > 0 {
			withEvidence++
		}
	}
	assert.Greater(t, checked, 1000)
	assert.Greater(t, withEvidence, 10, "disputes with evidence, whose maps Reuse must empty")
}

// withNilWhenEmpty returns t with its empty maps and slices nil, the one
// way a reused ticket may differ from one folded from the zero Ticket.
func withNilWhenEmpty(t domain.Ticket) domain.Ticket {
	if len(t.Deadlines) == 0 {
		t.Deadlines = nil
	}
	if len(t.Evidence) == 0 {
		t.Evidence = nil
	}
	if len(t.EvidenceOrder) == 0 {
		t.EvidenceOrder = nil
	}
	return t
}

// TestFoldIsApplyInPlaceOnAnyOrder holds Fold to Apply on sequences no
// command would record — what a tampered log gives the auditor's replay:
// events of many tickets shuffled, repeated and dropped, events after a
// close, evidence and deadlines out of order. Two tickets are folded in
// place side by side, one lagging behind the other as the auditor's state
// and decision base do, and a third into a ticket emptied by Reuse after
// the round before; each must equal Apply's state at its point, and the
// states Apply returned must stay as they were.
func TestFoldIsApplyInPlaceOnAnyOrder(t *testing.T) {
	t.Parallel()
	var pool []events.Envelope
	for _, sc := range playSeedsAndGenerated(t, 29, 60) {
		pool = append(pool, sc.envs...)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	var reused domain.Ticket // handed from round to round, as the auditor hands a closed ticket's replay on
	for round := range 200 {
		reused.Reuse()
		seq := make([]events.Envelope, 5+rng.IntN(60))
		for i := range seq {
			seq[i] = pool[rng.IntN(len(pool))]
		}
		var (
			ahead, behind domain.Ticket
			applied       []domain.Ticket
			copies        []domain.Snapshot
		)
		lag := 1 + rng.IntN(4)
		for i, env := range seq {
			var prev domain.Ticket
			if i > 0 {
				prev = applied[i-1]
			}
			next := prev.Apply(env)
			applied, copies = append(applied, next), append(copies, next.Snapshot())
			ahead.Fold(env)
			require.Equal(t, next, ahead, "round %d, event %d (%s)", round, i, env.Type)
			reused.Fold(env)
			require.Equal(t, withNilWhenEmpty(next), withNilWhenEmpty(reused), "round %d, event %d (%s), folded into a reused ticket", round, i, env.Type)
			if j := i - lag; j >= 0 {
				behind.Fold(seq[j])
				require.Equal(t, applied[j], behind, "round %d, event %d folded %d behind", round, j, lag)
			}
		}
		for i, st := range applied {
			require.Equal(t, copies[i], st.Snapshot(), "round %d: the state after event %d changed after it was returned", round, i)
		}
	}
}

// TestFoldKeysDeadlinesByTheirConstants: whatever bytes an event's deadline
// kinds are read from, the folded ticket's deadline map is keyed by the
// kinds' constants (events.DeadlineKind.Canonical), so it holds no event's
// bytes and lookups by constant match by pointer.
func TestFoldKeysDeadlinesByTheirConstants(t *testing.T) {
	t.Parallel()
	checked := 0
	for _, sc := range playSeedsAndGenerated(t, 19, 100) {
		var folded domain.Ticket
		for _, env := range sc.envs {
			raw, err := events.Encode(env)
			require.NoError(t, err)
			decoded, err := events.DecodeOwned(raw) // kinds are windows on raw
			require.NoError(t, err)
			folded.Fold(decoded)
			for k := range folded.Deadlines {
				c, ok := k.Canonical()
				require.True(t, ok, "%s: %q", sc.Name, k)
				require.Same(t, unsafe.StringData(string(c)), unsafe.StringData(string(k)), "%s: %s keyed by its constant", sc.Name, k)
				checked++
			}
		}
	}
	assert.Greater(t, checked, 100)
}

// TestClosesIsWhatTheFoldCloses: at every event of the seed and generated
// disputes, Closes says whether the fold closed the ticket with it.
func TestClosesIsWhatTheFoldCloses(t *testing.T) {
	t.Parallel()
	closes := 0
	for _, sc := range playSeedsAndGenerated(t, 23, 300) {
		var folded domain.Ticket
		for i, env := range sc.envs {
			wasClosed := folded.Closed()
			folded.Fold(env)
			require.Equal(t, folded.Closed() && !wasClosed, domain.Closes(env.Payload), "%s: event %d (%s)", sc.Name, i, env.Type)
			if domain.Closes(env.Payload) {
				closes++
			}
		}
	}
	assert.Greater(t, closes, 100)
}

// TestClosesWhateverTheState: the auditor's replay ends a decision at an
// event Closes names, and folds the decision only once it is checked
// (audit/legality.go), so Closes must say what the fold does with any event
// in any state, including one no rule would have allowed there. Every type
// of the catalogue, folded into the zero ticket and into every open state
// the seed and generated disputes reach, closes the ticket exactly when
// Closes says.
func TestClosesWhateverTheState(t *testing.T) {
	t.Parallel()
	every := []events.Payload{events.RefundRequested{}, events.RequestRevised{}, events.MerchantAgreed{},
		events.MerchantRejected{}, events.OfferMade{}, events.OfferAccepted{}, events.OfferDeclined{},
		events.ReturnShipped{}, events.ReturnReceived{}, events.ReturnProblemReported{},
		events.ReplacementShipped{}, events.ReplacementConfirmed{}, events.RefundIssued{},
		events.InterventionRequested{}, events.EvidenceRequested{}, events.EvidenceSubmitted{},
		events.MarkedResolved{}, events.RulingRecorded{}, events.AppealFiled{}, events.AppealDecided{},
		events.RulingFinalized{}, events.TicketWithdrawn{}, events.TicketAbandoned{}, events.TicketExpired{},
		events.MessagePosted{}, events.DeadlineExpired{}, events.RulingSLABreached{}}
	names := make([]string, len(every))
	for i, p := range every {
		names[i] = p.EventType()
	}
	require.ElementsMatch(t, events.Types(), names, "every type of the catalogue is listed here")
	probed := 0
	probe := func(name string, state domain.Ticket) {
		for _, p := range every {
			after := state.Apply(events.Envelope{Type: p.EventType(), Actor: events.Actor{Role: events.RoleSystem, ID: "s"}, Payload: p})
			require.Equal(t, domain.Closes(p), after.Closed(), "%s, status %q: %s", name, state.Status, p.EventType())
			probed++
		}
	}
	probe("zero ticket", domain.Ticket{})
	for _, sc := range playSeedsAndGenerated(t, 29, 100) {
		var state domain.Ticket
		for _, env := range sc.envs {
			state = state.Apply(env)
			if !state.Closed() {
				probe(sc.Name, state)
			}
		}
	}
	assert.Greater(t, probed, 1000)
}
