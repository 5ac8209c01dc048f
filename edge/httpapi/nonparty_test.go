package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNonPartiesSeeWhatAMissingTicketShows is the regression test of
// issue 11, finding 6 (read side): a buyer or merchant with a valid token
// asking for another party's ticket — its state, history (also as of a
// moment), audit trail or event stream, or a list filtered to another
// party — gets byte for byte the answer it got before the ticket existed.
// Before, the answer was 403 for an existing ticket and 404 for a missing
// one, which told anyone which ticket ids exist.
func TestNonPartiesSeeWhatAMissingTicketShows(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); nonPartiesSeeMissing(t, newLedger(t, options{projector: true})) })
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		nonPartiesSeeMissing(t, newLedger(t, options{projector: true, postgres: true}))
	})
}

func nonPartiesSeeMissing(t *testing.T, l *ledger) {
	type probe struct{ who, path string }
	probes := []probe{
		{"buyer:b-2", "/v1/tickets/T-1"},
		{"buyer:b-2", "/v1/tickets/T-1/history"},
		{"buyer:b-2", "/v1/tickets/T-1/history?as_of=2026-11-02T03:00:00Z"},
		{"buyer:b-2", "/v1/tickets/T-1/audit"},
		{"buyer:b-2", "/v1/events?ticket_id=T-1"},
		{"buyer:b-2", "/v1/tickets?buyer_id=b-1"},
		{"merchant:m-2", "/v1/tickets/T-1"},
		{"merchant:m-2", "/v1/tickets/T-1/history"},
		{"merchant:m-2", "/v1/tickets/T-1/audit"},
		{"merchant:m-2", "/v1/events?ticket_id=T-1"},
		{"merchant:m-2", "/v1/tickets?merchant_id=m-1"},
		{"merchant:m-2", "/v1/merchants/m-1/score"},
	}
	// The request id is echoed in problems; fix it so bodies compare.
	get := func(p probe) response {
		return l.as(p.who).do("GET", p.path, nil, map[string]string{"X-Request-ID": "probe"})
	}
	before := make([]response, len(probes))
	for i, p := range probes {
		before[i] = get(p)
	}

	l.as("buyer:b-1").ok("T-1", "open_ticket", "c-open", openData("m-1"))
	l.as("merchant:m-1").ok("T-1", "post_message", "c-msg", map[string]any{"text": "we are looking into it"})
	l.waitProjected()
	require.Equal(t, http.StatusOK, l.as("merchant:m-1").get("/v1/merchants/m-1/score").status, "m-1 now has a score")
	require.Equal(t, http.StatusOK, l.as("buyer:b-1").get("/v1/tickets/T-1/audit").status)

	for i, p := range probes {
		after := get(p)
		assert.Equal(t, before[i].status, after.status, "%s GET %s: %s", p.who, p.path, after.body)
		assert.Equal(t, string(before[i].body), string(after.body), "%s GET %s", p.who, p.path)
		assert.Equal(t, before[i].header.Get("Content-Type"), after.header.Get("Content-Type"), "%s GET %s", p.who, p.path)
		if after.status >= 400 {
			assert.Equal(t, http.StatusNotFound, after.status, "%s GET %s", p.who, p.path)
			assert.NotContains(t, string(after.body), "b-1", "the owner is not named")
		}
	}
	// The parties themselves still read it.
	assert.Equal(t, http.StatusOK, l.as("buyer:b-1").get("/v1/tickets/T-1").status)
	assert.Equal(t, http.StatusOK, l.as("merchant:m-1").get("/v1/tickets/T-1/history").status)
}
