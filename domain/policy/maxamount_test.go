package policy_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/disputes-ledger/disputes/domain/policy"
)

// TestPolicyMaxAmountMustKeepCompensationInRange: a policy whose largest
// amount's compensation would overflow is not a policy.
func TestPolicyMaxAmountMustKeepCompensationInRange(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	pol.MaxAmount = math.MaxInt64/pol.CompensationMultiple + 1
	assert.ErrorIs(t, pol.Validate(), policy.ErrInvalidPolicy)
	pol.MaxAmount = 0
	assert.ErrorIs(t, pol.Validate(), policy.ErrInvalidPolicy)
	pol.MaxAmount = math.MaxInt64 / pol.CompensationMultiple
	assert.NoError(t, pol.Validate())
}

// TestParseKeepsTheDefaultMaxAmount: a policy file written before
// max_amount existed gets the default bound.
func TestParseKeepsTheDefaultMaxAmount(t *testing.T) {
	t.Parallel()
	p, err := policy.Parse([]byte(`{"version":"older"}`))
	assert.NoError(t, err)
	assert.Equal(t, policy.DefaultMaxAmount, p.MaxAmount)
}
