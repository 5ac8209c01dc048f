package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/events"
)

// TestHistoryPlacesALateExpiryAtItsDueTime: the merchant_response deadline
// of a return is fired five hours late by the buyer's next command, and
// recorded with it. GET …/history places the expiry and the approval it
// caused at the due time, keeps their recording time, and as of a moment
// between the two shows them applied, with the return window counted from
// the due time; GET …/tickets/T-2 and the ticket list show T-2's missed
// deadline as overdue.
func TestHistoryPlacesALateExpiryAtItsDueTime(t *testing.T) {
	onBothBackends(t, options{projector: true}, func(t *testing.T, l *ledger) {
		buyer := l.as("buyer:b-1")
		ret := openData("m-1")
		ret["kind"], ret["delivered_at"] = "return_refund", t0.Add(-24*time.Hour)
		buyer.ok("T-1", "open_ticket", "open-T-1", ret)
		buyer.ok("T-2", "open_ticket", "open-T-2", openData("m-1"))
		due := t0.Add(72 * time.Hour)
		fired := due.Add(5 * time.Hour)
		l.waitProjected()
		var earlier httpapi.TicketList
		buyer.get("/v1/tickets?status=awaiting_merchant").json(t, &earlier)
		require.Len(t, earlier.Items, 2)
		for _, it := range earlier.Items {
			assert.False(t, it.NextDeadlineOverdue, "before its due time a deadline is simply next")
		}
		l.clock.Set(fired)
		out := buyer.ok("T-1", "post_message", "late", map[string]any{"text": "any news?"})
		assert.Equal(t, []string{events.TypeMessagePosted}, eventTypes(t, out.Events), "the response holds the message's own events")
		assert.Equal(t, uint64(3), out.Revision, "the expiry and the approval were recorded with it")

		var hist httpapi.HistoryResponse
		r := buyer.get("/v1/tickets/T-1/history?as_of=" + due.Add(2*time.Hour).Format(time.RFC3339))
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		r.json(t, &hist)
		require.Len(t, hist.Steps, 3, "request, expiry, approval; the message came later")
		for _, st := range hist.Steps[1:] {
			assert.Equal(t, due, st.EffectiveAt.UTC(), "%s takes effect at the due time", st.Type)
			assert.Equal(t, fired, st.OccurredAt.UTC(), "%s was recorded at the firing", st.Type)
		}
		last := hist.Steps[2].StateAfter
		assert.Equal(t, "awaiting_return_shipment", string(last.Status))
		require.Len(t, last.Deadlines, 1)
		assert.Equal(t, due.Add(7*24*time.Hour), last.Deadlines[0].DueAt.UTC(), "the return window counts from the due time")

		var other httpapi.TicketView
		buyer.get("/v1/tickets/T-2").json(t, &other)
		require.Len(t, other.Overdue, 1, "missed and not fired: overdue, never next")
		assert.Equal(t, due, other.Overdue[0].DueAt.UTC())

		// The read model's list says the same of T-2's earliest deadline.
		l.waitProjected()
		var list httpapi.TicketList
		buyer.get("/v1/tickets?status=awaiting_merchant").json(t, &list)
		require.Len(t, list.Items, 1)
		assert.Equal(t, "T-2", list.Items[0].TicketID)
		assert.True(t, list.Items[0].NextDeadlineOverdue, "the list flags the missed deadline as overdue")
	})
}
