package httpapi_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/commands/scheduler"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/postgres"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/clock"
	"github.com/disputes-ledger/disputes/internal/testenv"
	"github.com/disputes-ledger/disputes/projections"
)

// Monday 2026-11-02 10:00 in Shanghai.
var t0 = time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)

// ledger is a running API over a real SQLite ledger: the store, the
// projector following it, the scheduler, and an httptest server.
type ledger struct {
	t       testing.TB
	store   eventstore.Store
	clock   *clock.ManualClock
	srv     *httptest.Server
	api     *httpapi.Server
	reads   httpapi.ReadModel
	tokens  map[string]string // principal "role:id" → bearer token
	handler *commands.Handler
	logs    *testenv.LogBuffer
}

var (
	hmacKey         = []byte("a shared secret of at least 32 bytes for HS256")
	edPub, edPriv   = mustKey()
	opaquePrincipal = []auth.Principal{
		{Role: events.RoleBuyer, ID: "b-1"}, {Role: events.RoleBuyer, ID: "b-2"},
		{Role: events.RoleMerchant, ID: "m-1"}, {Role: events.RoleMerchant, ID: "m-2"},
		{Role: events.RoleAgent, ID: "cs-1"}, {Role: events.RoleAuditor, ID: "au-1"},
	}
	// Arbitrators authenticate with signed tokens: HS256 and EdDSA.
	hmacPrincipals = []auth.Principal{{Role: events.RoleArbitrator, ID: "arb-1"}}
	edPrincipals   = []auth.Principal{{Role: events.RoleSeniorArbitrator, ID: "sr-1"}, {Role: events.RoleArbitrator, ID: "arb-2"}}
)

func mustKey() (ed25519.PublicKey, ed25519.PrivateKey) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		panic(err)
	}
	return pub, priv
}

type options struct {
	postgres  bool // keep the events in PostgreSQL (read models stay in SQLite)
	scheduler bool // run the deadline scheduler
	projector bool // run the projector (lists, audit trails, scores)
	cfg       func(*httpapi.Config)
}

func newLedger(t testing.TB, opt options) *ledger {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	var store eventstore.Store
	if opt.postgres {
		url, _ := testenv.PostgresSchema(t)
		pg, err := postgres.Open(ctx, url, postgres.Config{})
		require.NoError(t, err)
		store = pg
	} else {
		lite, err := sqlite.Open(ctx, path, sqlite.Config{})
		require.NoError(t, err)
		store = lite
	}
	clock := clock.NewManualClock(t0)
	pol := policy.Default()
	metrics := httpapi.NewMetrics()
	h := commands.NewHandler(httpapi.InstrumentStore(store, metrics), commands.WithClock(clock.Now), commands.WithPolicy(pol))

	// The projector writes through its own connection; the API reads
	// through a read-only pool, as `disputes serve` does.
	wdb, err := sql.Open("sqlite", sqlite.RebuildableDSN(path))
	require.NoError(t, err)
	wdb.SetMaxOpenConns(2)
	pdb, err := projections.NewDB(ctx, wdb, projections.SQLite)
	require.NoError(t, err)
	projector := projections.NewProjector(store, pdb, projections.Default(pdb, pol),
		projections.Options{Follow: true, Now: clock.Now})
	qdb, err := sql.Open("sqlite", sqlite.DSN(path)+"&_pragma=query_only(1)")
	require.NoError(t, err)
	rdb := projections.Existing(qdb, projections.SQLite)
	reads := projections.Reads{DB: rdb, Policy: pol}

	l := &ledger{t: t, store: store, clock: clock, reads: reads, tokens: map[string]string{}, handler: h, logs: &testenv.LogBuffer{}}
	var tf auth.TokenFile
	for _, p := range opaquePrincipal {
		tok := "tok-" + string(p.Role) + "-" + p.ID
		tf.Tokens = append(tf.Tokens, auth.TokenEntry{SHA256: auth.HashToken(tok), Role: p.Role, ID: p.ID})
		l.tokens[p.String()] = tok
	}
	exp := t0.Add(365 * 24 * time.Hour).Unix()
	for _, set := range []struct {
		ps  []auth.Principal
		key any
	}{{hmacPrincipals, hmacKey}, {edPrincipals, edPriv}} {
		for _, p := range set.ps {
			tok, err := auth.SignJWT(auth.Claims{Subject: p.ID, Role: p.Role, ExpiresAt: &exp, Issuer: "test-idp"}, set.key)
			require.NoError(t, err)
			l.tokens[p.String()] = tok
		}
	}
	tfJSON, err := json.Marshal(tf)
	require.NoError(t, err)
	tokens, err := auth.ParseTokenFile(tfJSON)
	require.NoError(t, err)
	// JWTs are checked against the test clock.
	hsKey, err := auth.HS256Key("", hmacKey)
	require.NoError(t, err)
	edKey, err := auth.EdDSAKey("", edPub)
	require.NoError(t, err)
	keys, err := auth.NewKeySet(hsKey, edKey)
	require.NoError(t, err)
	// The test tokens live a year, as the ledgers' clocks move days ahead.
	authn := auth.Chain{Tokens: tokens, JWT: &auth.JWTVerifier{Keys: keys, Issuer: "test-idp", MaxLifetime: 400 * 24 * time.Hour, Now: clock.Now}}
	cfg := httpapi.Config{Store: store, Handler: h, Auth: authn, Reads: reads, Metrics: metrics, Now: clock.Now,
		Logger: slog.New(slog.NewJSONHandler(l.logs, nil)), StreamHeartbeat: 50 * time.Millisecond}
	if opt.cfg != nil {
		opt.cfg(&cfg)
	}
	api, err := httpapi.New(cfg)
	require.NoError(t, err)
	l.api = api
	l.srv = httptest.NewServer(checkContract(t, api))

	var wg sync.WaitGroup
	if opt.projector {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := projector.Run(ctx)
			if ctx.Err() == nil {
				assert.NoError(t, err, "projector")
			}
		}()
	}
	if opt.scheduler {
		if !opt.projector { // the scheduler reads the open deadlines the projector keeps
			deadlines := projections.NewProjector(store, pdb, []projections.Projection{projections.NewDeadlines(pdb)},
				projections.Options{Follow: true, Now: clock.Now})
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := deadlines.Run(ctx)
				assert.NoError(t, err, "deadline projection")
			}()
		}
		sched, err := scheduler.New(scheduler.Config{Deadlines: projections.DeadlineSource(rdb), Handler: h, Clock: clock,
			Logger: slog.New(slog.NewJSONHandler(l.logs, nil)), Poll: 10 * time.Millisecond})
		require.NoError(t, err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, sched.Run(ctx))
		}()
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", l.logs.String())
		}
		l.srv.CloseClientConnections()
		l.srv.Close()
		cancel()
		wg.Wait()
		_ = rdb.Close()
		_ = pdb.Close()
		_ = store.Close()
	})
	return l
}

// response is an answer as a test reads it.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), string(r.body))
}

func (r response) problem(t testing.TB) httpapi.Problem {
	t.Helper()
	assert.Equal(t, "application/problem+json", r.header.Get("Content-Type"), string(r.body))
	var p httpapi.Problem
	r.json(t, &p)
	assert.Equal(t, r.status, p.Status)
	assert.Equal(t, httpapi.ProblemTypePrefix+p.Code, p.Type)
	assert.NotEmpty(t, p.RequestID)
	return p
}

// client is one authenticated caller.
type client struct {
	l     *ledger
	token string
	name  string
}

func (l *ledger) as(principal string) client {
	tok, ok := l.tokens[principal]
	require.True(l.t, ok, "no token for %s", principal)
	return client{l: l, token: tok, name: principal}
}

func (c client) do(method, path string, body []byte, header map[string]string) response {
	c.l.t.Helper()
	req, err := http.NewRequest(method, c.l.srv.URL+path, bytes.NewReader(body))
	require.NoError(c.l.t, err)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.l.srv.Client().Do(req)
	require.NoError(c.l.t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(c.l.t, err)
	return response{status: res.StatusCode, header: res.Header, body: data}
}

func (c client) get(path string) response { return c.do("GET", path, nil, nil) }

// command posts a command with data (any JSON-able value, nil for none).
func (c client) command(ticket, name, id string, data any, header ...string) response {
	c.l.t.Helper()
	body := map[string]any{}
	if data != nil {
		body["data"] = data
	}
	b, err := json.Marshal(body)
	require.NoError(c.l.t, err)
	h := map[string]string{"Idempotency-Key": id}
	for i := 0; i+1 < len(header); i += 2 {
		h[header[i]] = header[i+1]
	}
	return c.do("POST", "/v1/tickets/"+ticket+"/commands/"+name, b, h)
}

// ok requires a command to have been recorded and returns its answer.
func (c client) ok(ticket, name, id string, data any) httpapi.CommandResponse {
	c.l.t.Helper()
	res := c.command(ticket, name, id, data)
	require.Equal(c.l.t, http.StatusCreated, res.status, "%s %s as %s: %s", name, ticket, c.name, res.body)
	var out httpapi.CommandResponse
	res.json(c.l.t, &out)
	return out
}

// head returns the position of the last event in the log.
func (l *ledger) head() uint64 {
	l.t.Helper()
	h, err := projections.Head(context.Background(), l.store)
	require.NoError(l.t, err)
	return h
}

// waitProjected waits until every projection has applied the whole log.
func (l *ledger) waitProjected() {
	l.t.Helper()
	head := l.head()
	require.Eventually(l.t, func() bool {
		cps, err := l.reads.Checkpoints(context.Background())
		if err != nil {
			return false
		}
		for _, cp := range cps {
			if cp < head {
				return false
			}
		}
		return len(cps) > 0
	}, 10*time.Second, 5*time.Millisecond)
}

// waitStatus waits until a ticket's state, read by an auditor, has status.
func (l *ledger) waitStatus(ticket, status string) httpapi.TicketView {
	l.t.Helper()
	var v httpapi.TicketView
	require.Eventually(l.t, func() bool {
		res := l.as("auditor:au-1").get("/v1/tickets/" + ticket)
		if res.status != http.StatusOK {
			return false
		}
		v = httpapi.TicketView{}
		_ = json.Unmarshal(res.body, &v)
		return string(v.Status) == status
	}, 10*time.Second, 5*time.Millisecond, "ticket %s never reached %s", ticket, status)
	return v
}

func openData(merchant string) map[string]any {
	return map[string]any{"order_id": "O-1", "merchant_id": merchant, "kind": "refund_only", "reason": "quality",
		"currency": "CNY", "amount_paid": 5000, "requested": 5000, "description": "screen cracked", "order_shipped": true}
}

func evidence(id string) map[string]any {
	return map[string]any{"items": []map[string]any{{"id": id, "kind": "photo", "description": "photo of " + id,
		"sha256": strings.Repeat("ab", 32), "uri": "https://files.example/" + id}}}
}

func eventTypes(t testing.TB, wire []json.RawMessage) []string {
	t.Helper()
	out := make([]string, len(wire))
	for i, w := range wire {
		env, err := events.Decode(w)
		require.NoError(t, err, "events come in canonical, verifiable form")
		out[i] = env.Type
	}
	return out
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return v
}

// forgeJWT signs an arbitrator's token with a key the server does not know.
func forgeJWT() (string, error) {
	exp := t0.Add(time.Hour).Unix()
	return auth.SignJWT(auth.Claims{Subject: "arb-1", Role: events.RoleArbitrator, ExpiresAt: &exp, Issuer: "test-idp"},
		[]byte("not the server's key, but just as long"))
}
