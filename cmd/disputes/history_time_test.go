package main

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/projections/views"
)

// The merchant_response deadline of T-1 falls due on 11-05 02:00 UTC; nobody
// fires it until five hours later: the buyer's message then is refused (the
// expiry it is decided against refunds and closes the ticket) and records
// nothing, and the scheduler, back at that moment, fires it. T-2 is left alone.
const lateExpiryInput = `{"command_id":"o1","ticket_id":"T-1","actor":{"role":"buyer","id":"b-1"},"command":"open_ticket","at":"2026-11-02T02:00:00Z","data":{"order_id":"O-1","merchant_id":"m-1","kind":"refund_only","reason":"logistics_delay","currency":"CNY","amount_paid":5000,"requested":5000,"order_shipped":true}}
{"command_id":"o2","ticket_id":"T-2","actor":{"role":"buyer","id":"b-1"},"command":"open_ticket","at":"2026-11-02T02:00:00Z","data":{"order_id":"O-2","merchant_id":"m-1","kind":"refund_only","reason":"logistics_delay","currency":"CNY","amount_paid":5000,"requested":5000,"order_shipped":true}}
{"command_id":"m1","ticket_id":"T-1","actor":{"role":"buyer","id":"b-1"},"command":"post_message","at":"2026-11-05T07:00:00Z","data":{"text":"any news?"}}
{"command_id":"expire:T-1:merchant_response:1793844000","ticket_id":"T-1","actor":{"role":"system","id":"scheduler"},"command":"expire_deadline","at":"2026-11-05T07:00:00Z","data":{"deadline":"merchant_response"}}
`

// TestHistoryAsOfPlacesALateExpiryAtItsDueTime: as of a moment between the
// due time and the firing, history shows the expiry and what it caused
// applied; before the due time it shows the deadline as next; a deadline
// missed and never fired is shown as overdue, never as next.
func TestHistoryAsOfPlacesALateExpiryAtItsDueTime(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ledger.db")
	code, out, _ := runCLI(t, lateExpiryInput, "exec", "--db", db, "--client-time", "--allow-system")
	require.Equal(t, 1, code, "the message is refused: the expiry it is decided against closes the ticket")
	assert.Contains(t, out, `ticket is closed`)
	assert.Contains(t, out, `"revision":3,"events":["deadline.expired","merchant.agreed","refund.issued"]`,
		"the refused message recorded nothing: the expiry is revisions 1 to 3")

	due := time.Date(2026, 11, 5, 2, 0, 0, 0, time.UTC)
	fired := due.Add(5 * time.Hour)
	tests := []struct {
		name      string
		asOf      string
		wantTypes []string
		status    string
	}{
		{"before the due time", "2026-11-05T01:59:00Z", []string{"refund.requested"}, "awaiting_merchant"},
		{"between due time and firing", "2026-11-05T04:00:00Z",
			[]string{"refund.requested", "deadline.expired", "merchant.agreed", "refund.issued"}, "closed"},
		{"at the due time", "2026-11-05T02:00:00Z",
			[]string{"refund.requested", "deadline.expired", "merchant.agreed", "refund.issued"}, "closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "", "history", "--db", db, "--json", "--as-of", tt.asOf, "T-1")
			require.Equal(t, 0, code, errOut)
			var steps []views.HistoryStep
			require.NoError(t, json.Unmarshal([]byte(out), &steps))
			var types []string
			for _, s := range steps {
				types = append(types, s.Type)
				if s.Type != "refund.requested" {
					assert.Equal(t, due, s.EffectiveAt.UTC(), "%s takes effect at the due time", s.Type)
					assert.Equal(t, fired, s.OccurredAt.UTC(), "%s keeps its recording time", s.Type)
				}
			}
			assert.Equal(t, tt.wantTypes, types)
			assert.Equal(t, tt.status, string(steps[len(steps)-1].StateAfter.Status))
		})
	}

	code, out, _ = runCLI(t, "", "history", "--db", db, "--as-of", "2026-11-05T04:00:00Z", "T-1")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "2026-11-05 10:00 (recorded 2026-11-05 15:00)", "the table places the expiry at its due time (Shanghai)")

	code, out, _ = runCLI(t, "", "history", "--db", db, "--as-of", "2026-11-04T02:00:00Z", "T-2")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "merchant_response due 2026-11-05 10:00 +08:00\n")
	code, out, _ = runCLI(t, "", "history", "--db", db, "--as-of", "2026-11-05T04:00:00Z", "T-2")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "merchant_response due 2026-11-05 10:00 +08:00 — overdue", "missed and not fired: overdue, not next")

}
