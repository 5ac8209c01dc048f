package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMetricsAreForOperators is the regression test of issue 11, finding 6
// (metrics): /metrics showed platform-wide counts to any buyer. On the
// API's listener only an auditor reads them; the operators' listener
// (OperatorHandler) serves them without a token and serves nothing else.
func TestMetricsAreForOperators(t *testing.T) {
	t.Parallel()
	l := newLedger(t, options{})
	l.as("buyer:b-1").ok("T-1", "open_ticket", "o-1", openData("m-1"))

	for _, who := range []string{"buyer:b-1", "buyer:b-2", "merchant:m-1", "agent:cs-1", "arbitrator:arb-1", "senior_arbitrator:sr-1"} {
		res := l.as(who).get("/metrics")
		require.Equal(t, http.StatusForbidden, res.status, "%s: %s", who, res.body)
		assert.Equal(t, "role_not_allowed", res.problem(t).Code)
		assert.NotContains(t, string(res.body), "disputes_commands_total", who)
	}
	res := l.as("auditor:au-1").get("/metrics")
	require.Equal(t, http.StatusOK, res.status)
	assert.Contains(t, string(res.body), `disputes_commands_total{command="open_ticket",outcome="recorded"} 1`)
	assert.Equal(t, http.StatusUnauthorized, client{l: l}.get("/metrics").status, "no token, no metrics")

	ops := httptest.NewServer(l.api.OperatorHandler())
	t.Cleanup(ops.Close)
	get := func(path string, token string) (int, string) {
		req, err := http.NewRequest("GET", ops.URL+path, nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		r, err := ops.Client().Do(req)
		require.NoError(t, err)
		defer r.Body.Close()
		b, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		return r.StatusCode, string(b)
	}
	status, body := get("/metrics", "")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `disputes_commands_total{command="open_ticket",outcome="recorded"} 1`)
	for _, path := range []string{"/v1/tickets/T-1", "/v1/tickets", "/v1/events", "/v1/me", "/openapi.json"} {
		status, body := get(path, l.tokens["auditor:au-1"])
		assert.Equal(t, http.StatusNotFound, status, "%s on the metrics listener", path)
		assert.NotContains(t, body, "b-1", path)
	}

	// The runtime's profiles are the operators' too: on their listener,
	// never on the API's, whatever the token.
	status, body = get("/debug/pprof/heap?debug=1", "")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "heap profile:")
	status, body = get("/debug/pprof/goroutine?debug=1", "")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "goroutine profile:")
	for _, who := range []string{"auditor:au-1", "buyer:b-1"} {
		res := l.as(who).get("/debug/pprof/heap?debug=1")
		assert.NotEqual(t, http.StatusOK, res.status, "%s read a heap profile on the API's listener", who)
		assert.NotContains(t, string(res.body), "heap profile:", who)
	}
}
