package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBadTextIsRefusedAndRecordsNothing is issue 11, finding 5, through
// the API: invalid UTF-8, NUL and bidirectional overrides in a command's
// text are 400 naming the field, and nothing is recorded; text that is
// text is recorded byte for byte.
func TestBadTextIsRefusedAndRecordsNothing(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); badTextIsRefusedAndRecordsNothing(t, newLedger(t, options{})) })
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		badTextIsRefusedAndRecordsNothing(t, newLedger(t, options{postgres: true}))
	})
}

func badTextIsRefusedAndRecordsNothing(t *testing.T, l *ledger) {
	buyer := l.as("buyer:b-1")
	buyer.ok("T-1", "open_ticket", "c-open", openData("m-1"))
	head := l.head()
	key := map[string]string{"Idempotency-Key": "k-1"}

	tests := []struct {
		name, path, body, field string
	}{
		{"invalid UTF-8 in a message", "/v1/tickets/T-1/commands/post_message", "{\"data\":{\"text\":\"refund \xff please\"}}", "data.text"},
		{"lone surrogate in a message", "/v1/tickets/T-1/commands/post_message", `{"data":{"text":"refund \udbff please"}}`, "data.text"},
		{"NUL in a message", "/v1/tickets/T-1/commands/post_message", `{"data":{"text":"refund\u0000please"}}`, "data.text"},
		{"right-to-left override in a message", "/v1/tickets/T-1/commands/post_message", `{"data":{"text":"refund \u202edesaeler"}}`, "data.text"},
		{"isolate in a withdrawal note", "/v1/tickets/T-1/commands/withdraw", `{"data":{"note":"\u2066x\u2069"}}`, "data.note"},
		{"invalid UTF-8 in a description", "/v1/tickets/T-2/commands/open_ticket",
			"{\"data\":{\"order_id\":\"O-2\",\"merchant_id\":\"m-1\",\"kind\":\"refund_only\",\"reason\":\"quality\",\"currency\":\"CNY\",\"amount_paid\":100,\"requested\":100,\"order_shipped\":true,\"description\":\"\xc3\x28\"}}",
			"data.description"},
		{"control in an order id", "/v1/tickets/T-2/commands/open_ticket",
			`{"data":{"order_id":"O-2\r\n","merchant_id":"m-1","kind":"refund_only","reason":"quality","currency":"CNY","amount_paid":100,"requested":100,"order_shipped":true}}`,
			"data.order_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := buyer.do("POST", tc.path, []byte(tc.body), key)
			require.Equal(t, http.StatusBadRequest, res.status, string(res.body))
			p := res.problem(t)
			assert.Equal(t, "validation", p.Code)
			assert.Equal(t, tc.field, p.Field, p.Detail)
		})
	}
	assert.Equal(t, head, l.head(), "nothing recorded")
	assert.Equal(t, http.StatusNotFound, l.as("auditor:au-1").get("/v1/tickets/T-2").status, "no ticket opened")

	text := "第一行\n第二行\t缩进 😀 \ufffd"
	out := buyer.ok("T-1", "post_message", "k-ok", map[string]any{"text": text})
	require.Len(t, out.Events, 1)
	assert.Contains(t, string(out.Events[0]), `第一行\n第二行\t缩进 😀 `+"\ufffd", "recorded as sent")
}
