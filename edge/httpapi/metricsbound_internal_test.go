package httpapi

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// entries counts what a sync.Map holds.
func entries(m *sync.Map) (n int) {
	m.Range(func(any, any) bool { n++; return true })
	return n
}

// TestClientsCannotGrowTheRememberedSeries: the series a request's labels
// name are remembered for good (byRequest, byCommand), so they must be
// named by what the server chose — route patterns, status codes, command
// names, outcomes — and never by what a client sent. A second round of the
// same hostile requests with other paths, ids, bodies and tokens remembers
// nothing new.
func TestClientsCannotGrowTheRememberedSeries(t *testing.T) {
	t.Parallel()
	store, err := sqlite.Open(t.Context(), t.TempDir()+"/l.db", sqlite.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, store.Close()) })
	const token = "dsp_buyer-token-of-the-test"
	set, err := auth.ParseTokenFile([]byte(`{"tokens":[{"sha256":"` + auth.HashToken(token) + `","role":"buyer","id":"b-1"}]}`))
	require.NoError(t, err)
	s, err := New(Config{Store: store, Handler: commands.NewHandler(store), Auth: auth.Chain{Tokens: set},
		Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)

	round := func(n int) {
		for i := range 10 {
			v := fmt.Sprintf("x%d-%d", n, i)
			requests := []struct{ method, path, token, body string }{
				{"GET", "/v1/tickets/T-" + v, token, ""},
				{"GET", "/" + v + "/nowhere", token, ""},
				{v, "/v1/tickets/T-" + v, token, ""},
				{"PATCH", "/v1/tickets/T-" + v, token, ""},
				{"POST", "/v1/tickets/T-" + v + "/commands/" + v, token, "{}"},
				{"POST", "/v1/tickets/T-" + v + "/commands/open_ticket", token, `{"command_id":"` + v + `","data":{"` + v + `":1}}`},
				{"POST", "/v1/tickets/T-" + v + "/commands/open_ticket", token, `{"command_id":"` + v + `","data":{"order_id":"` + v + `","merchant_id":"m-` + v + `","amount":"` + v + `"}}`},
				{"POST", "/v1/tickets/T-" + v + "/commands/withdraw", token, `{"command_id":"` + v + `"}`},
				{"POST", "/v1/tickets/T-" + v + "/commands/withdraw", "dsp_" + v, `{"command_id":"` + v + `"}`},
				{"GET", "/v1/me", "dsp_" + v, ""},
				{"GET", "/v1/merchants/m-" + v + "/score", token, ""},
			}
			for _, rq := range requests {
				r := httptest.NewRequest("GET", "/", strings.NewReader(rq.body))
				r.Method, r.URL.Path = rq.method, rq.path
				r.Header.Set("Authorization", "Bearer "+rq.token)
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("X-Request-ID", v)
				r.Header.Set("Idempotency-Key", v)
				s.ServeHTTP(httptest.NewRecorder(), r)
			}
		}
	}
	round(0)
	requests, cmds := entries(&s.metrics.byRequest), entries(&s.metrics.byCommand)
	require.NotZero(t, requests)
	require.NotZero(t, cmds)
	round(1)
	assert.Equal(t, requests, entries(&s.metrics.byRequest), "request series remembered by a value a client chose")
	assert.Equal(t, cmds, entries(&s.metrics.byCommand), "command series remembered by a value a client chose")
	s.metrics.byRequest.Range(func(k, _ any) bool {
		key := k.(requestKey)
		assert.NotContains(t, key.route, "x0-", "a route label holds a client's path")
		return true
	})
}
