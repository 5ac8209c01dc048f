package domain_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

func expire(at time.Duration, kind events.DeadlineKind) step {
	return step{at, system, domain.ExpireDeadline{Deadline: kind}}
}

// TestDeadlineExpiries fires every deadline of docs/domain.md's table and checks
// what its expiry records and where the ticket ends up.
func TestDeadlineExpiries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		given         []step
		kind          events.DeadlineKind
		dueAfter      time.Duration // deadline start + window, after t0
		want          []string
		penalised     bool
		wantStatus    domain.Status
		wantResolving domain.Resolution
	}{
		{"merchant silent on refund only", []step{open(events.KindRefundOnly)}, events.DeadlineMerchantResponse, 72 * h,
			[]string{events.TypeDeadlineExpired, events.TypeMerchantAgreed, events.TypeRefundIssued}, true, domain.StatusClosed, domain.ResolutionRefunded},
		{"merchant silent on a return", stageAwaitingMerchant, events.DeadlineMerchantResponse, 72 * h,
			[]string{events.TypeDeadlineExpired, events.TypeMerchantAgreed}, true, domain.StatusAwaitingReturn, ""},
		{"return never shipped", stageAwaitingReturn, events.DeadlineReturnShipment, h + 7*24*h,
			[]string{events.TypeDeadlineExpired, events.TypeTicketAbandoned}, false, domain.StatusClosed, domain.ResolutionAbandoned},
		{"buyer never escalated", stageRejected, events.DeadlineBuyerEscalation, h + 7*24*h,
			[]string{events.TypeDeadlineExpired, events.TypeTicketExpired}, false, domain.StatusClosed, domain.ResolutionExpired},
		{"buyer sat on an offer", stageOfferPending, events.DeadlineBuyerEscalation, h + 7*24*h,
			[]string{events.TypeDeadlineExpired, events.TypeTicketExpired}, false, domain.StatusClosed, domain.ResolutionExpired},
		{"merchant never confirmed receipt", stageReturnInTransit, events.DeadlineMerchantReceipt, 2*h + 10*24*h,
			[]string{events.TypeDeadlineExpired, events.TypeReturnReceived}, false, domain.StatusAwaitingRefund, ""},
		{"merchant never refunded", stageAwaitingRefund, events.DeadlineMerchantRefund, 30*h + 7*24*h,
			[]string{events.TypeDeadlineExpired, events.TypeRefundIssued}, true, domain.StatusClosed, domain.ResolutionRefunded},
		{"merchant never reshipped", exchangeReship, events.DeadlineMerchantReship, 3*h + 72*h,
			[]string{events.TypeDeadlineExpired}, true, domain.StatusAwaitingReship, ""},
		{"buyer never confirmed replacement", append(exchangeReship[:4:4], step{4 * h, merchant, domain.ShipReplacement{Shipment: events.Shipment{Carrier: "SF", TrackingNumber: "2"}}}),
			events.DeadlineBuyerConfirmation, 4*h + 10*24*h,
			[]string{events.TypeDeadlineExpired, events.TypeReplacementConfirmed}, false, domain.StatusClosed, domain.ResolutionExchanged},
		{"negotiation window ends", stageNegotiation, events.DeadlineNegotiation, 3*h + 24*h,
			[]string{events.TypeDeadlineExpired, events.TypeEvidenceRequested}, false, domain.StatusAwaitingEvidence, ""},
		// Evidence requested Tuesday 13:00 Shanghai: 4 working hours end Tuesday 17:00.
		{"evidence window ends without merchant evidence", stageAwaitingEvidence, events.DeadlineEvidence, 27*h + 4*h,
			[]string{events.TypeDeadlineExpired}, true, domain.StatusUnderReview, ""},
		{"evidence window ends with merchant evidence", append(stageAwaitingEvidence[:4:4], stageUnderReview[4]), events.DeadlineEvidence, 27*h + 4*h,
			[]string{events.TypeDeadlineExpired}, false, domain.StatusUnderReview, ""},
		{"platform misses the ruling SLA", stageUnderReview, events.DeadlineRulingSLA, 3*h + 72*h,
			[]string{events.TypeDeadlineExpired, events.TypeRulingSLABreached}, false, domain.StatusUnderReview, ""},
		{"nobody appeals", stageRuled, events.DeadlineAppeal, 61*h + 7*24*h,
			[]string{events.TypeDeadlineExpired, events.TypeRulingFinalized}, false, domain.StatusClosed, domain.ResolutionRuled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := newLedger(t).given(tc.given...)
			due, open := l.ticket.Deadlines[tc.kind]
			require.True(t, open, "deadline %s must be running", tc.kind)
			assert.Equal(t, t0.Add(tc.dueAfter), due, "due time stored when the deadline started")

			_, err := l.do(expire(tc.dueAfter-time.Second, tc.kind))
			var early *domain.DeadlineNotDueError
			require.ErrorAs(t, err, &early, "firing early is refused")

			got, err := l.do(expire(tc.dueAfter, tc.kind))
			require.NoError(t, err)
			assert.Equal(t, tc.want, types(got))
			fired := got[0].(events.DeadlineExpired)
			assert.Equal(t, tc.penalised, fired.MerchantPenalised)
			assert.Equal(t, due, fired.DueAt)
			assert.Equal(t, tc.wantStatus, l.ticket.Status)
			assert.Equal(t, tc.wantResolving, l.ticket.Resolution)
			assert.NotContains(t, l.ticket.Deadlines, tc.kind)

			_, err = l.do(expire(tc.dueAfter+time.Hour, tc.kind))
			assert.True(t, errors.Is(err, domain.ErrDeadlineNotOpen) || errors.Is(err, domain.ErrTicketClosed),
				"firing twice records once: %v", err)
		})
	}
}

func TestLateRulingIsMarked(t *testing.T) {
	t.Parallel()
	l := newLedger(t).given(stageUnderReview...)
	got, err := l.do(step{3*h + 72*h + time.Minute, arbitrator, domain.Rule{Rationale: "r",
		Terms: events.Terms{Outcome: events.OutcomeMerchantFavoured, Liability: events.LiabilityNone}}})
	require.NoError(t, err)
	assert.True(t, got[0].(events.RulingRecorded).Late, "a ruling after the SLA is a platform breach")
}

func TestLateEvidenceIsRecordedAndFlagged(t *testing.T) {
	t.Parallel()
	l := newLedger(t).given(stageUnderReview...)
	got, err := l.do(step{61 * h, merchant, domain.SubmitEvidence{Items: []events.EvidenceItem{evidenceItem("late-1")}}})
	require.NoError(t, err)
	assert.True(t, got[0].(events.EvidenceSubmitted).Late)
	assert.Contains(t, l.ticket.Evidence, "late-1")
}

func TestVagueMerchantMessagesAreFlagged(t *testing.T) {
	t.Parallel()
	tests := []struct {
		actor events.Actor
		text  string
		vague bool
	}{
		{merchant, "亲，我们会尽快处理", true},
		{merchant, "We will ship it ASAP", true},
		{merchant, "明天15:00前寄出，单号随后提供", false},
		{buyer, "请尽快处理", false}, // only merchant promises are policed
	}
	for _, tc := range tests {
		l := newLedger(t).given(stageAwaitingMerchant...)
		got, err := l.do(step{h, tc.actor, domain.PostMessage{Text: tc.text}})
		require.NoError(t, err)
		assert.Equal(t, tc.vague, got[0].(events.MessagePosted).VagueDeadline, tc.text)
	}
}

// TestRolePermissions tries every command with every role that the
// permission table does not list, on a live ticket, and expects a role
// refusal: the table is the single source of truth for who may do what.
func TestRolePermissions(t *testing.T) {
	t.Parallel()
	commands := domain.Commands()
	perms := domain.Permissions()
	require.Len(t, perms, len(commands), "every command has a permission entry")
	l := newLedger(t).given(stageAwaitingMerchant...)
	for _, cmd := range commands {
		allowed := perms[cmd.CommandName()]
		require.NotEmptyf(t, allowed, "%s has no permission entry", cmd.CommandName())
		for _, role := range events.Roles() {
			_, err := domain.Decide(l.ticket, events.Actor{Role: role, ID: "x"}, cmd, t0, l.pol)
			listed := false
			for _, r := range allowed {
				listed = listed || r == role
			}
			if listed {
				assert.Falsef(t, errors.Is(err, domain.ErrRoleNotAllowed), "%s may %s", role, cmd.CommandName())
			} else {
				assert.ErrorIsf(t, err, domain.ErrRoleNotAllowed, "%s may not %s", role, cmd.CommandName())
			}
		}
	}
}

// TestEarlierStatesStayPut applies a whole dispute event by event, snapshots
// each state as JSON when it is made, and checks at the end that no later
// Apply wrote through shared maps or pointers into an earlier state: history
// "as of" any moment must not drift.
func TestEarlierStatesStayPut(t *testing.T) {
	t.Parallel()
	l := newLedger(t).given(append(stageUnderAppeal, step{63 * h, senior, domain.DecideAppeal{Decision: events.AppealOverturned,
		Rationale: "r", Terms: &events.Terms{Outcome: events.OutcomePartiallyFavored, Liability: events.LiabilityShared, Refund: 9900}}})...)
	steps := domain.Timeline(l.stream, nil)
	snapshots := make([]string, len(steps))
	var state domain.Ticket
	for i, env := range l.stream {
		state = state.Apply(env)
		steps[i].State = state
		b, err := json.Marshal(state)
		require.NoError(t, err)
		snapshots[i] = string(b)
	}
	for i, s := range steps {
		b, err := json.Marshal(s.State)
		require.NoError(t, err)
		assert.JSONEq(t, snapshots[i], string(b), "state after revision %d changed later", i)
	}
}

func TestApplyDoesNotMutatePriorState(t *testing.T) {
	t.Parallel()
	l := newLedger(t).given(stageNegotiation...)
	before := l.ticket
	snapshot := len(before.Deadlines)
	l.given(step{4 * h, agent, domain.RequestEvidence{}})
	assert.Len(t, before.Deadlines, snapshot, "earlier states stay as they were (history as of any moment)")
	assert.Equal(t, domain.StatusNegotiation, before.Status)
}
