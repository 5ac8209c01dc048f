package domain_test

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// extremeAmounts are the amounts where int64 arithmetic breaks: the ends
// of the range, the policy's bound, and the neighbours of 2^63/10, where
// the 10× compensation stops fitting.
func extremeAmounts() []int64 {
	tenth := int64(math.MaxInt64 / 10) // 922337203685477580
	return []int64{0, 1, 2, 19900, policy.DefaultMaxAmount - 1, policy.DefaultMaxAmount, policy.DefaultMaxAmount + 1,
		tenth - 1, tenth, tenth + 1, 1844674407370955162, math.MaxInt64 / 2, math.MaxInt64 - 1, math.MaxInt64}
}

func counterfeitTerms(refund, compensation int64) events.Terms {
	return events.Terms{Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant,
		Refund: refund, Compensation: compensation, Counterfeit: true}
}

// TestCompensationNeverWraps is the property behind issue 11, finding 8:
// for every price paid and multiple, a counterfeit ruling is accepted
// exactly when its compensation is the true product, and when the true
// product does not fit in int64 no compensation is accepted — least of all
// the wrapped one.
func TestCompensationNeverWraps(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 8))
	paid := extremeAmounts()
	for range 200 {
		paid = append(paid, rng.Int64(), rng.Int64N(math.MaxInt64/10+2))
	}
	for _, multiple := range []int64{1, 2, 10, 11, 1000} {
		for _, amount := range paid {
			ticket := domain.Ticket{AmountPaid: amount}
			truth := new(big.Int).Mul(big.NewInt(amount), big.NewInt(multiple))
			wrapped := int64(uint64(amount) * uint64(multiple))
			if truth.IsInt64() {
				assert.NoError(t, domain.CheckTerms(ticket, counterfeitTerms(amount, truth.Int64()), multiple),
					"paid %d × %d = %s is the compensation", amount, multiple, truth)
				if truth.Int64() > 0 {
					assert.ErrorIs(t, domain.CheckTerms(ticket, counterfeitTerms(amount, truth.Int64()-1), multiple), domain.ErrRulingTerms)
				}
				continue
			}
			for _, comp := range []int64{wrapped, math.MaxInt64, 0, amount} {
				if comp < 0 {
					continue // refused as negative before any product is taken
				}
				err := domain.CheckTerms(ticket, counterfeitTerms(amount, comp), multiple)
				assert.ErrorIs(t, err, domain.ErrAmountOutOfRange, "paid %d × %d = %s does not fit; %d must not pass", amount, multiple, truth, comp)
			}
		}
	}
}

// TestRefundSumsNeverWrap: a refund is accepted exactly when it and what
// was refunded before add up, truly, to no more than was paid.
func TestRefundSumsNeverWrap(t *testing.T) {
	t.Parallel()
	values := extremeAmounts()
	for _, paid := range values {
		for _, before := range values {
			for _, refund := range values {
				ticket := domain.Ticket{AmountPaid: paid, Refunded: before}
				terms := events.Terms{Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant, Refund: refund}
				truth := new(big.Int).Add(big.NewInt(refund), big.NewInt(before))
				err := domain.CheckTerms(ticket, terms, 10)
				if truth.Cmp(big.NewInt(paid)) <= 0 {
					assert.NoError(t, err, "refund %d after %d, paid %d", refund, before, paid)
				} else {
					assert.Error(t, err, "refund %d after %d, paid %d must be refused", refund, before, paid)
				}
			}
		}
	}
}

// TestFinding8CounterfeitRulingOnAHugePrice replays issue 11, finding 8,
// on a ticket recorded with amount_paid 1844674407370955162 (as a ledger
// written before the command path bounded amounts may hold): 10× that is
// 2^64+4, so unchecked int64 arithmetic demanded a compensation of 4 and
// recorded it. Now the ruling is refused (amount_out_of_range) and nothing
// is recorded; at the largest price whose 10× fits, the true 10× is ruled.
func TestFinding8CounterfeitRulingOnAHugePrice(t *testing.T) {
	t.Parallel()
	review := func(paid int64) *ledger {
		first := open(events.KindReturnRefund)
		o := first.cmd.(domain.OpenTicket)
		o.AmountPaid, o.Requested = paid, paid
		first.cmd = o
		return newLedger(t).given(append([]step{first}, stageUnderReview[1:]...)...)
	}
	rule := func(refund, compensation int64) step {
		return step{61 * h, arbitrator, domain.Rule{Terms: counterfeitTerms(refund, compensation), Rationale: "counterfeit", Evidence: []string{"ev-b1"}}}
	}

	const huge = 1844674407370955162
	l := review(huge)
	before := len(l.stream)
	_, err := l.do(rule(huge, 4))
	require.ErrorIs(t, err, domain.ErrAmountOutOfRange, "the wrapped compensation is refused")
	_, err = l.do(rule(huge, math.MaxInt64))
	require.ErrorIs(t, err, domain.ErrAmountOutOfRange, "no compensation fits")
	assert.Len(t, l.stream, before, "nothing recorded")

	tenth := int64(math.MaxInt64 / 10)
	l = review(tenth)
	payloads, err := l.do(rule(tenth, tenth*10))
	require.NoError(t, err, "the true 10× of the largest price it fits for is ruled")
	ruled := payloads[0].(events.RulingRecorded)
	assert.Equal(t, int64(9223372036854775800), ruled.Terms.Compensation)
	assert.Equal(t, events.TypeRulingRecorded, l.stream[len(l.stream)-1].Type, "and recorded")
}
