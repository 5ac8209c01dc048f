package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHugeAmountsAreRefusedAndRecordNothing is issue 11, finding 8,
// through the API: amount_paid = 9223372036854775807 was accepted with
// 201. Amounts beyond the policy's bound are 400 naming the field, and
// nothing is recorded.
func TestHugeAmountsAreRefusedAndRecordNothing(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); hugeAmountsAreRefusedAndRecordNothing(t, newLedger(t, options{})) })
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		hugeAmountsAreRefusedAndRecordNothing(t, newLedger(t, options{postgres: true}))
	})
}

func hugeAmountsAreRefusedAndRecordNothing(t *testing.T, l *ledger) {
	for _, tc := range []struct {
		amount any
		field  string
	}{
		{int64(9223372036854775807), "data.amount_paid"},
		{int64(1844674407370955162), "data.amount_paid"},
		{int64(1_000_000_000_001), "data.amount_paid"},
	} {
		data := openData("m-1")
		data["amount_paid"], data["requested"] = tc.amount, 100
		res := l.as("buyer:b-1").command("T-1", "open_ticket", "c-open", data)
		require.Equal(t, http.StatusBadRequest, res.status, string(res.body))
		p := res.problem(t)
		assert.Equal(t, "validation", p.Code)
		assert.Equal(t, tc.field, p.Field, p.Detail)
	}
	assert.Zero(t, l.head(), "nothing recorded")

	data := openData("m-1")
	data["amount_paid"], data["requested"] = int64(1_000_000_000_000), int64(1_000_000_000_000)
	l.as("buyer:b-1").ok("T-1", "open_ticket", "c-open", data)
}
