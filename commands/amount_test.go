package commands_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// amountFields are every amount a command carries, as the validation
// error names it, and the command data holding an amount there.
var amountFields = []struct {
	command, field string
	data           func(n string) string
}{
	{"open_ticket", "data.amount_paid", func(n string) string { return `{"amount_paid":` + n + `}` }},
	{"open_ticket", "data.requested", func(n string) string { return `{"requested":` + n + `}` }},
	{"revise_request", "data.requested", func(n string) string { return `{"requested":` + n + `}` }},
	{"make_offer", "data.amount", func(n string) string { return `{"kind":"partial_refund","amount":` + n + `}` }},
	{"issue_refund", "data.amount", func(n string) string { return `{"amount":` + n + `}` }},
	{"rule", "data.refund", func(n string) string { return `{"refund":` + n + `}` }},
	{"rule", "data.compensation", func(n string) string { return `{"compensation":` + n + `}` }},
	{"decide_appeal", "data.terms.refund", func(n string) string { return `{"decision":"overturned","terms":{"refund":` + n + `}}` }},
	{"decide_appeal", "data.terms.compensation", func(n string) string { return `{"decision":"overturned","terms":{"compensation":` + n + `}}` }},
}

// TestAmountsAreBoundedAtParseTime is the parse-time half of issue 11,
// finding 8: amount_paid = 9223372036854775807 was accepted. Every amount
// of every command is now at most the policy's MaxAmount (10^12 fen by
// default); beyond it, a validation error names the field.
func TestAmountsAreBoundedAtParseTime(t *testing.T) {
	t.Parallel()
	max := policy.DefaultMaxAmount
	for _, f := range amountFields {
		for _, tc := range []struct {
			n  string
			ok bool
		}{
			{"0", true}, {"1", true}, {strconv.FormatInt(max-1, 10), true}, {strconv.FormatInt(max, 10), true},
			{strconv.FormatInt(max+1, 10), false}, {"1844674407370955162", false}, {strconv.FormatInt(math.MaxInt64, 10), false},
		} {
			t.Run(fmt.Sprintf("%s/%s/%s", f.command, f.field, tc.n), func(t *testing.T) {
				_, _, err := commands.ParseRequest([]byte(request(f.command, f.data(tc.n))), commands.DefaultLimits())
				if tc.ok {
					require.NoError(t, err)
					return
				}
				verr, ok := errors.AsType[*commands.ValidationError](err)
				require.True(t, ok, "want a ValidationError, got %v", err)
				assert.Equal(t, f.field, verr.Field, verr.Error())
			})
		}
		// Beyond int64 the strict decoder refuses the number itself.
		_, _, err := commands.ParseRequest([]byte(request(f.command, f.data("18446744073709551620"))), commands.DefaultLimits())
		assert.ErrorIs(t, err, commands.ErrValidation, "%s %s", f.command, f.field)
	}
}

// TestHandlerBoundsAmountsByItsPolicy: a Handler bounds amounts by the
// MaxAmount of the policy it runs, and a refused command records nothing.
func TestHandlerBoundsAmountsByItsPolicy(t *testing.T) {
	t.Parallel()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ledger.db"), sqlite.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	pol := policy.Default()
	pol.MaxAmount = 4000
	require.NoError(t, pol.Validate())
	h := commands.NewHandler(store, commands.WithClock(func() time.Time { return now }), commands.WithPolicy(pol))
	assert.Equal(t, int64(4000), h.Limits().MaxAmount)

	req, cmd := parse(t, openLine) // amount_paid 5000
	_, err = h.Handle(context.Background(), req, cmd)
	verr, ok := errors.AsType[*commands.ValidationError](err)
	require.True(t, ok, "want a ValidationError, got %v", err)
	assert.Equal(t, "data.amount_paid", verr.Field)
	head, err := store.ReadAll(context.Background(), 0, 10)
	require.NoError(t, err)
	assert.Empty(t, head, "nothing recorded")

	// The default handler takes the default policy's bound.
	def, _ := newHandler(t)
	assert.Equal(t, policy.DefaultMaxAmount, def.Limits().MaxAmount)
}
