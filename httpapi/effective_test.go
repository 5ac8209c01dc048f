package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/httpapi"
)

// TestHistoryPlacesALateExpiryAtItsDueTime: the merchant_response deadline
// is fired five hours late by the buyer's next command. GET …/history
// places the expiry and the refund it caused at the due time, keeps their
// recording time, and as of a moment between the two shows them applied;
// GET …/tickets/T-2 lists T-2's missed deadline as overdue.
func TestHistoryPlacesALateExpiryAtItsDueTime(t *testing.T) {
	onBothBackends(t, options{}, func(t *testing.T, l *ledger) {
		buyer := l.as("buyer:b-1")
		buyer.ok("T-1", "open_ticket", "open-T-1", openData("m-1"))
		buyer.ok("T-2", "open_ticket", "open-T-2", openData("m-1"))
		due := t0.Add(72 * time.Hour)
		fired := due.Add(5 * time.Hour)
		l.clock.Set(fired)
		res := buyer.command("T-1", "post_message", "late", map[string]any{"text": "any news?"})
		assert.Equal(t, "ticket_closed", res.problem(t).Code, "the overdue expiry fired first and refunded")

		var hist httpapi.HistoryResponse
		r := buyer.get("/v1/tickets/T-1/history?as_of=" + due.Add(2*time.Hour).Format(time.RFC3339))
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		r.json(t, &hist)
		require.Len(t, hist.Steps, 4, "request, expiry, approval, refund")
		for _, st := range hist.Steps[1:] {
			assert.Equal(t, due, st.EffectiveAt.UTC(), "%s takes effect at the due time", st.Type)
			assert.Equal(t, fired, st.OccurredAt.UTC(), "%s was recorded at the firing", st.Type)
		}
		last := hist.Steps[3].StateAfter
		assert.Equal(t, "closed", string(last.Status))
		require.NotNil(t, last.ClosedAt)
		assert.Equal(t, due, last.ClosedAt.UTC())

		var other httpapi.TicketView
		buyer.get("/v1/tickets/T-2").json(t, &other)
		require.Len(t, other.Overdue, 1, "missed and not fired: overdue, never next")
		assert.Equal(t, due, other.Overdue[0].DueAt.UTC())
	})
}
