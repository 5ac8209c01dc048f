package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/eventstore/follow"
	"github.com/disputes-ledger/disputes/internal/supervise"
	"github.com/disputes-ledger/disputes/projections"
)

// TestPublicReadyzShowsNoOperatorDetail: the public /readyz, which anyone
// may read without a token, gives the status and each component's name
// and state — no error text (which may carry a connection string), no
// lease owner (a machine's name), no fencing token, no follower position —
// while the operators' listener gives all of it.
func TestPublicReadyzShowsNoOperatorDetail(t *testing.T) {
	t.Parallel()
	const (
		secret   = "postgres://ledger:hunter2-s3cr3t@db-primary.internal:5432/disputes"
		owner    = "replica-on-host-17:4242"
		token    = 987654
		follower = "read global log: dial db-primary.internal: hunter2-s3cr3t"
	)
	failedAt := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	components := []supervise.Named{
		{Name: "store", Status: supervise.Status{State: supervise.OK, Since: failedAt}},
		{Name: "projector", Status: supervise.Status{State: supervise.Retrying, Since: failedAt, Restarts: 3,
			LastError: "connect to " + secret + ": connection refused", LastErrorAt: &failedAt, RetryAt: &failedAt}},
		{Name: "scheduler", Status: supervise.Status{State: supervise.Standby, Since: failedAt, Lease: "scheduler", Owner: owner}},
		{Name: "sealer", Status: supervise.Status{State: supervise.OK, Since: failedAt, Lease: "sealer", Token: token}},
	}
	followers := map[string]follow.Status{
		"sealer": {Name: "sealer", State: follow.Retrying, Position: 41, Head: 44, Lag: 3, Attempt: 2,
			Err: errors.New(follower), RetryAt: failedAt},
	}
	l := newLedger(t, options{cfg: func(c *httpapi.Config) {
		c.Components = func() []supervise.Named { return components }
		c.Followers = func() map[string]follow.Status { return followers }
	}})

	res := client{l: l}.get("/readyz")
	require.Equal(t, http.StatusServiceUnavailable, res.status, "a required component is retrying")
	assert.Equal(t, "1", res.header.Get("Retry-After"))
	body := string(res.body)
	for _, leak := range []string{"hunter2", "s3cr3t", "db-primary", "postgres://", "connection refused", owner, "host-17",
		"987654", "last_error", "owner", "token", "restarts", "retry_at", "since", "follower", "lag", "position", "reason", "lease"} {
		assert.NotContains(t, body, leak, "the public /readyz shows %q", leak)
	}
	var public map[string]any
	res.json(t, &public)
	assert.Equal(t, map[string]any{"status": "not_ready", "components": []any{
		map[string]any{"name": "store", "state": "ok"},
		map[string]any{"name": "projector", "state": "retrying"},
		map[string]any{"name": "scheduler", "state": "standby"},
		map[string]any{"name": "sealer", "state": "ok"},
	}}, public, "status and each component's name and state, nothing else")

	// An authenticated caller on the API's listener sees no more.
	assert.Equal(t, res.body, l.as("auditor:au-1").get("/readyz").body)

	ops := httptest.NewServer(l.api.OperatorHandler())
	t.Cleanup(ops.Close)
	r, err := ops.Client().Get(ops.URL + "/readyz")
	require.NoError(t, err)
	defer r.Body.Close()
	raw, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusServiceUnavailable, r.StatusCode)
	var detail httpapi.ReadinessDetail
	require.NoError(t, json.Unmarshal(raw, &detail), string(raw))
	assert.Equal(t, "not_ready", detail.Status)
	assert.Equal(t, "a required component is neither ok nor standing by", detail.Reason)
	require.Len(t, detail.Components, 4)
	byName := map[string]httpapi.ComponentDetail{}
	for _, c := range detail.Components {
		byName[c.Name] = c
	}
	assert.Contains(t, byName["projector"].LastError, secret, "operators see the error")
	assert.Equal(t, uint64(3), byName["projector"].Restarts)
	assert.Equal(t, owner, byName["scheduler"].Owner)
	assert.Equal(t, uint64(token), byName["sealer"].Token)
	require.NotNil(t, byName["sealer"].Follower, "and the follower of a component that runs one")
	assert.Equal(t, httpapi.FollowerStatus{State: follow.Retrying, Position: 41, Head: 44, Lag: 3, Attempt: 2,
		Error: follower, RetryAt: &failedAt}, *byName["sealer"].Follower)
	assert.Nil(t, byName["store"].Follower)
	assert.True(t, strings.Contains(string(raw), `"last_error"`))
}

// failingReads is a read model whose database is out of reach.
type failingReads struct{ httpapi.ReadModel }

var errReadsDown = errors.New("dial tcp 10.1.2.3:5432: connect: connection refused")

func (failingReads) Tickets(context.Context, projections.TicketFilter) (projections.TicketPage, error) {
	return projections.TicketPage{}, errReadsDown
}

func (failingReads) AuditTrail(context.Context, projections.AuditFilter) (projections.AuditPage, error) {
	return projections.AuditPage{}, errReadsDown
}

func (failingReads) Scores(context.Context, projections.ScoreFilter) ([]projections.MerchantScore, error) {
	return nil, errReadsDown
}

// TestReadModelOutOfReachIs503WithRetryAfter: a list whose read-model
// database fails answers 503 read_model_unavailable with Retry-After (the
// read models come back by themselves), not 500, and names no host; a
// ticket's own state, read from the ledger, still answers.
func TestReadModelOutOfReachIs503WithRetryAfter(t *testing.T) {
	t.Parallel()
	l := newLedger(t, options{cfg: func(c *httpapi.Config) { c.Reads = failingReads{c.Reads} }})
	l.as("buyer:b-1").ok("T-1", "open_ticket", "o-1", openData("m-1"))
	for _, path := range []string{"/v1/tickets", "/v1/tickets/T-1/audit", "/v1/merchants/scores", "/v1/merchants/m-1/score"} {
		res := l.as("auditor:au-1").get(path)
		require.Equal(t, http.StatusServiceUnavailable, res.status, "%s: %s", path, res.body)
		assert.Equal(t, "read_model_unavailable", res.problem(t).Code, path)
		assert.Equal(t, "1", res.header.Get("Retry-After"), path)
		assert.NotContains(t, string(res.body), "10.1.2.3", path)
	}
	assert.Equal(t, http.StatusOK, l.as("buyer:b-1").get("/v1/tickets/T-1").status)
}
