package policy_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// TestPenaltyPointsTable holds PointsFor to docs/domain.md's penalty table
// under the default policy, and to a changed policy's own numbers.
func TestPenaltyPointsTable(t *testing.T) {
	t.Parallel()
	changed, err := policy.Parse([]byte(`{"version": "v2", "penalties": {"merchant_response_expired": 5, "reship_or_refund_expired": 7,
		"no_evidence": 8, "merchant_liability": 9, "shared_liability": 4, "counterfeit": 20, "vague_message": 3}}`))
	require.NoError(t, err)
	for _, c := range []struct {
		name         string
		fact         policy.PenaltyFact
		reason       policy.PenaltyReason
		def, changed int
	}{
		{"merchant response expired", policy.DeadlineMissed(events.DeadlineMerchantResponse), policy.ReasonMerchantResponseExpired, 2, 5},
		{"merchant reship expired", policy.DeadlineMissed(events.DeadlineMerchantReship), policy.ReasonMerchantReshipExpired, 3, 7},
		{"merchant refund expired", policy.DeadlineMissed(events.DeadlineMerchantRefund), policy.ReasonMerchantRefundExpired, 3, 7},
		{"no evidence", policy.DeadlineMissed(events.DeadlineEvidence), policy.ReasonNoEvidence, 4, 8},
		{"vague message", policy.VagueMessage(), policy.ReasonVagueMessage, 1, 3},
		{"merchant liable", policy.Ruled(events.Terms{Liability: events.LiabilityMerchant}), policy.ReasonMerchantLiability, 6, 9},
		{"shared liability", policy.Ruled(events.Terms{Liability: events.LiabilityShared}), policy.ReasonSharedLiability, 3, 4},
		{"counterfeit instead of liability", policy.Ruled(events.Terms{Liability: events.LiabilityMerchant, Counterfeit: true}), policy.ReasonCounterfeit, 12, 20},
		{"buyer liable earns nothing", policy.Ruled(events.Terms{Liability: events.LiabilityBuyer}), "", 0, 0},
		{"no liability earns nothing", policy.Ruled(events.Terms{Liability: events.LiabilityNone}), "", 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			reason, points, err := policy.Default().Penalties.PointsFor(c.fact)
			require.NoError(t, err)
			assert.Equal(t, c.reason, reason)
			assert.Equal(t, c.def, points)
			reason, points, err = changed.Penalties.PointsFor(c.fact)
			require.NoError(t, err)
			assert.Equal(t, c.reason, reason)
			assert.Equal(t, c.changed, points)
		})
	}
}

// TestPenaltyPointsRefuseWhatTheTableLacks: a deadline without a row in the
// table, or an empty fact, is an error, never 0 points guessed.
func TestPenaltyPointsRefuseWhatTheTableLacks(t *testing.T) {
	t.Parallel()
	pen := policy.Default().Penalties
	for _, f := range []policy.PenaltyFact{policy.DeadlineMissed(events.DeadlineBuyerEscalation), policy.DeadlineMissed("no_such_deadline"), {}} {
		_, _, err := pen.PointsFor(f)
		assert.ErrorIs(t, err, policy.ErrNoPenaltyPoints)
	}
}

// TestPenaltyReversalWindowAndThreshold: only an overturning appeal
// reverses; the window is (end − window_days, end]; flagged at the threshold.
func TestPenaltyReversalWindowAndThreshold(t *testing.T) {
	t.Parallel()
	assert.True(t, policy.ReversesRuling(events.AppealOverturned))
	assert.False(t, policy.ReversesRuling(events.AppealUpheld))

	pen := policy.Default().Penalties
	end := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, 365*24*time.Hour, pen.Window())
	assert.Equal(t, end.Add(-365*24*time.Hour), pen.WindowStart(end))

	assert.False(t, pen.ReviewFlagged(11))
	assert.True(t, pen.ReviewFlagged(12))
	pen.ReviewThreshold = 20
	assert.False(t, pen.ReviewFlagged(12))
	assert.True(t, pen.ReviewFlagged(20))
}

// TestMerchantMissedAndPointsAreOneTable: the deadlines whose expiry the
// domain flags as the merchant's fault are exactly those the table scores,
// so a deadline cannot be flagged without points or scored without a flag;
// the evidence window is the merchant's only when it sent no evidence in it.
func TestMerchantMissedAndPointsAreOneTable(t *testing.T) {
	t.Parallel()
	pen := policy.Default().Penalties
	var flagged []events.DeadlineKind
	for _, kind := range events.DeadlineKinds() {
		_, _, err := pen.PointsFor(policy.DeadlineMissed(kind))
		missed := policy.MerchantMissed(kind, false)
		assert.Equal(t, missed, err == nil, "%s: flagged %v, scored %v", kind, missed, err == nil)
		if missed {
			flagged = append(flagged, kind)
		}
		if kind != events.DeadlineEvidence {
			assert.Equal(t, missed, policy.MerchantMissed(kind, true), "%s does not read the evidence", kind)
		}
	}
	assert.ElementsMatch(t, []events.DeadlineKind{events.DeadlineMerchantResponse, events.DeadlineMerchantReship,
		events.DeadlineMerchantRefund, events.DeadlineEvidence}, flagged, "docs/domain.md's penalised deadlines")
	assert.False(t, policy.MerchantMissed(events.DeadlineEvidence, true), "evidence sent in the window: not the merchant's fault")
	assert.False(t, policy.MerchantMissed("no_such_deadline", false))
}

// TestFactOfEachEvent: which recorded event is a penalty fact, and which
// fact; every other event is none.
func TestFactOfEachEvent(t *testing.T) {
	t.Parallel()
	merchantTerms := events.Terms{Liability: events.LiabilityMerchant}
	for _, c := range []struct {
		name string
		p    events.Payload
		want policy.PenaltyFact
		is   bool
	}{
		{"penalised expiry", events.DeadlineExpired{Deadline: events.DeadlineMerchantRefund, MerchantPenalised: true}, policy.DeadlineMissed(events.DeadlineMerchantRefund), true},
		{"expiry not the merchant's fault", events.DeadlineExpired{Deadline: events.DeadlineEvidence}, policy.PenaltyFact{}, false},
		{"merchant's vague message", events.MessagePosted{Party: events.RoleMerchant, VagueDeadline: true}, policy.VagueMessage(), true},
		{"buyer's vague message", events.MessagePosted{Party: events.RoleBuyer, VagueDeadline: true}, policy.PenaltyFact{}, false},
		{"merchant's concrete message", events.MessagePosted{Party: events.RoleMerchant}, policy.PenaltyFact{}, false},
		{"ruling", events.RulingRecorded{Terms: merchantTerms}, policy.Ruled(merchantTerms), true},
		{"overturned with new terms", events.AppealDecided{Decision: events.AppealOverturned, Terms: &merchantTerms}, policy.Ruled(merchantTerms), true},
		{"upheld", events.AppealDecided{Decision: events.AppealUpheld}, policy.PenaltyFact{}, false},
		{"final ruling (counted when recorded)", events.RulingFinalized{Terms: merchantTerms}, policy.PenaltyFact{}, false},
		{"refund", events.RefundIssued{Amount: 1}, policy.PenaltyFact{}, false},
	} {
		got, is := policy.FactOf(c.p)
		assert.Equal(t, c.is, is, c.name)
		if is {
			assert.Equal(t, c.want, got, c.name)
		}
	}
}
