package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain/policy"
)

// TestGenerateNeverRefused checks the generator against the aggregate: the
// builder plays every step it writes, and a refused step or a ticket left
// open is a generator bug. Generate would silently drop such steps, so this
// is the test that keeps the generator honest.
func TestGenerateNeverRefused(t *testing.T) {
	t.Parallel()
	strict, err := policy.Parse([]byte(`{
		"version": "test-strict",
		"windows": {"merchant_response": "24h", "return_shipment": "72h", "evidence": "2h", "appeal": "72h"},
		"calendar": {"holidays": ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"], "makeup_workdays": ["2026-09-27", "2026-10-10"]}
	}`))
	require.NoError(t, err)
	for _, pol := range []policy.Policy{policy.Default(), strict} {
		for seed := int64(1); seed <= 4; seed++ {
			start := time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC)
			scs, problems := generate(seed, 400, start, pol)
			require.Len(t, scs, 400)
			assert.Empty(t, problems, "policy %s seed %d", pol.Version, seed)
		}
	}
}

func TestGenerateNothing(t *testing.T) {
	t.Parallel()
	assert.Empty(t, Generate(1, 0, time.Now(), policy.Default()))
	assert.Empty(t, Generate(1, -5, time.Now(), policy.Default()))
}
