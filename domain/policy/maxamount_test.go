package policy_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/disputes-ledger/disputes/domain/policy"
)

// TestPolicyMaxAmountMustKeepCompensationInRange: a policy whose largest
// amount's compensation would overflow, or pass 2^53-1 (beyond which a
// JavaScript client's numbers round), is not a policy.
func TestPolicyMaxAmountMustKeepCompensationInRange(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	pol.MaxAmount = math.MaxInt64/pol.CompensationMultiple + 1
	assert.ErrorIs(t, pol.Validate(), policy.ErrInvalidPolicy)
	pol.MaxAmount = policy.MaxSafeAmount/pol.CompensationMultiple + 1
	assert.ErrorIs(t, pol.Validate(), policy.ErrInvalidPolicy)
	pol.MaxAmount = 0
	assert.ErrorIs(t, pol.Validate(), policy.ErrInvalidPolicy)
	pol.MaxAmount = policy.MaxSafeAmount / pol.CompensationMultiple
	assert.NoError(t, pol.Validate())
	assert.Equal(t, int64(9007199254740991), policy.MaxSafeAmount, "2^53-1")
	assert.LessOrEqual(t, policy.DefaultMaxAmount*policy.Default().CompensationMultiple, policy.MaxSafeAmount)
}

// TestParseKeepsTheDefaultMaxAmount: a policy file written before
// max_amount existed gets the default bound.
func TestParseKeepsTheDefaultMaxAmount(t *testing.T) {
	t.Parallel()
	p, err := policy.Parse([]byte(`{"version":"older"}`))
	assert.NoError(t, err)
	assert.Equal(t, policy.DefaultMaxAmount, p.MaxAmount)
}
