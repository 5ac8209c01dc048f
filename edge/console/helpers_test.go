package console_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/sqliteaudit"
	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/edge/console"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/clock"
	"github.com/disputes-ledger/disputes/internal/testenv"
	"github.com/disputes-ledger/disputes/projections"
)

// Monday 2026-11-02 10:00 in Shanghai.
var t0 = time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)

var (
	hmacKey = []byte("a shared secret of at least 32 bytes for HS256")
	// opaque principals sign in with tokens from a token file, the
	// arbitrator arb-1 with a JWT.
	opaque = []auth.Principal{
		{Role: events.RoleBuyer, ID: "b-1"}, {Role: events.RoleBuyer, ID: "b-2"},
		{Role: events.RoleMerchant, ID: "m-1"}, {Role: events.RoleMerchant, ID: "m-2"},
		{Role: events.RoleAgent, ID: "cs-1"}, {Role: events.RoleAuditor, ID: "au-1"},
		{Role: events.RoleArbitrator, ID: "arb-2"}, {Role: events.RoleSeniorArbitrator, ID: "sr-1"},
	}
	sealPub, sealKey = mustKey()
)

func mustKey() (ed25519.PublicKey, ed25519.PrivateKey) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		panic(err)
	}
	return pub, priv
}

// site is `disputes serve`'s listener in a test: the API and the console
// over one SQLite ledger with its projector, on an httptest server.
type site struct {
	t       testing.TB
	path    string
	store   *sqlite.Store
	clock   *clock.ManualClock
	handler *commands.Handler
	reads   httpapi.ReadModel
	seals   *sqliteaudit.Store
	srv     *httptest.Server
	tokens  map[string]string
	logs    *testenv.LogBuffer
}

func newSite(t testing.TB) *site {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	path := filepath.Join(t.TempDir(), "ledger.db")
	store, err := sqlite.Open(ctx, path, sqlite.Config{})
	require.NoError(t, err)
	clk := clock.NewManualClock(t0)
	pol := policy.Default()
	h := commands.NewHandler(store, commands.WithClock(clk.Now), commands.WithPolicy(pol))
	wdb, err := sql.Open("sqlite", sqlite.RebuildableDSN(path))
	require.NoError(t, err)
	wdb.SetMaxOpenConns(2)
	pdb, err := projections.NewDB(ctx, wdb, projections.SQLite)
	require.NoError(t, err)
	projector := projections.NewProjector(store, pdb, projections.Default(pdb, pol), projections.Options{Follow: true, Now: clk.Now})
	qdb, err := sql.Open("sqlite", sqlite.DSN(path)+"&_pragma=query_only(1)")
	require.NoError(t, err)
	rdb := projections.Existing(qdb, projections.SQLite)
	reads := projections.Reads{DB: rdb, Policy: pol}
	seals, err := sqliteaudit.Open(ctx, path)
	require.NoError(t, err)

	s := &site{t: t, path: path, store: store, clock: clk, handler: h, reads: reads, seals: seals, tokens: map[string]string{}, logs: &testenv.LogBuffer{}}
	var tf auth.TokenFile
	for _, p := range opaque {
		tok := "tok-" + string(p.Role) + "-" + p.ID
		tf.Tokens = append(tf.Tokens, auth.TokenEntry{SHA256: auth.HashToken(tok), Role: p.Role, ID: p.ID})
		s.tokens[p.String()] = tok
	}
	exp := t0.Add(365 * 24 * time.Hour).Unix()
	jwt, err := auth.SignJWT(auth.Claims{Subject: "arb-1", Role: events.RoleArbitrator, ExpiresAt: &exp, Issuer: "test-idp"}, hmacKey)
	require.NoError(t, err)
	s.tokens["arbitrator:arb-1"] = jwt
	tfJSON, err := json.Marshal(tf)
	require.NoError(t, err)
	tokens, err := auth.ParseTokenFile(tfJSON)
	require.NoError(t, err)
	hsKey, err := auth.HS256Key("", hmacKey)
	require.NoError(t, err)
	keys, err := auth.NewKeySet(hsKey)
	require.NoError(t, err)
	authn := auth.Chain{Tokens: tokens, JWT: &auth.JWTVerifier{Keys: keys, Issuer: "test-idp", MaxLifetime: 400 * 24 * time.Hour, Now: clk.Now}}
	logger := slog.New(slog.NewJSONHandler(s.logs, nil))
	api, err := httpapi.New(httpapi.Config{Store: store, Handler: h, Auth: authn, Reads: reads, Now: clk.Now, Logger: logger,
		StreamHeartbeat: 200 * time.Millisecond})
	require.NoError(t, err)
	con, err := console.New(console.Config{Store: store, Handler: h, Auth: authn, Reads: reads, Events: api, Policy: pol, Now: clk.Now,
		Logger: logger, Audit: &console.AuditSource{Log: seals, Seals: seals, Policies: audit.NewPolicySet(pol), PublicKey: sealPub}})
	require.NoError(t, err)
	s.srv = httptest.NewServer(console.Mount(api, con))

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := projector.Run(ctx); ctx.Err() == nil {
			assert.NoError(t, err, "projector")
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", s.logs.String())
		}
		s.srv.CloseClientConnections()
		s.srv.Close()
		cancel()
		wg.Wait()
		_ = seals.Close()
		_ = rdb.Close()
		_ = pdb.Close()
		_ = store.Close()
	})
	return s
}

// do runs a command as principal ("role:id") through the handler.
func (s *site) do(principal, ticket string, cmd domain.Command) commands.Result {
	s.t.Helper()
	role, id, _ := strings.Cut(principal, ":")
	res, err := s.handler.Handle(context.Background(), commands.Request{CommandID: "seed-" + randomSuffix(), TicketID: ticket,
		Actor: events.Actor{Role: events.Role(role), ID: id}, Command: cmd.CommandName()}, cmd)
	require.NoError(s.t, err, "%s on %s as %s", cmd.CommandName(), ticket, principal)
	return res
}

var seq atomic.Int64

// randomSuffix makes command ids unique within the test binary.
func randomSuffix() string { return strconv.FormatInt(seq.Add(1), 10) }

// underReview opens a ticket of buyer and merchant m-1 and takes it
// through rejection, intervention and evidence to review.
func (s *site) underReview(ticket, buyer string) {
	s.t.Helper()
	s.do("buyer:"+buyer, ticket, domain.OpenTicket{OrderID: "O-" + ticket, MerchantID: "m-1", Kind: events.KindRefundOnly,
		Reason: events.ReasonQuality, Currency: "CNY", AmountPaid: 12900, Requested: 12900, Description: "屏幕碎裂 screen cracked", OrderShipped: true})
	s.clock.Advance(2 * time.Hour)
	s.do("merchant:m-1", ticket, domain.Reject{Reason: "人为损坏 damage by the buyer"})
	s.do("buyer:"+buyer, ticket, domain.RequestIntervention{Reason: "商家拒绝 merchant refused"})
	s.do("agent:cs-1", ticket, domain.RequestEvidence{Note: "请双方举证 evidence please"})
	s.do("buyer:"+buyer, ticket, domain.SubmitEvidence{Items: []events.EvidenceItem{{ID: "ev-" + buyer, Kind: "photo",
		Description: "开箱照片 unboxing photo", SHA256: strings.Repeat("ab", 32), URI: "https://files.example/" + ticket + "/photo.jpg"}}})
	res := s.do("merchant:m-1", ticket, domain.PostMessage{Text: "我们会尽快处理 we will handle it soon"})
	due, ok := res.Ticket.Deadlines[events.DeadlineEvidence]
	require.True(s.t, ok, "the evidence window is open")
	s.clock.Advance(due.Sub(s.clock.Now()) + time.Minute)
	// The agent's message fires the overdue evidence deadline first.
	s.do("agent:cs-1", ticket, domain.PostMessage{Text: "已转仲裁 passed to an arbitrator"})
}

// seal seals the log to its head.
func (s *site) seal() {
	s.t.Helper()
	sealer, err := audit.NewSealer(s.store, s.seals, sealKey, s.clock.Now)
	require.NoError(s.t, err)
	_, _, err = sealer.SealToHead(context.Background())
	require.NoError(s.t, err)
}

// waitProjected waits until the read models have applied the whole log.
func (s *site) waitProjected() {
	s.t.Helper()
	head, err := projections.Head(context.Background(), s.store)
	require.NoError(s.t, err)
	require.Eventually(s.t, func() bool {
		cps, err := s.reads.Checkpoints(context.Background())
		if err != nil || len(cps) == 0 {
			return false
		}
		for _, cp := range cps {
			if cp < head {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond)
}

// browser is an HTTP client with its own cookie jar, signed in as one
// principal (or not at all).
type browser struct {
	s      *site
	client *http.Client
}

func (s *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{s: s, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn posts the principal's token to the sign-in form.
func (b *browser) signIn(principal string) *http.Response {
	b.s.t.Helper()
	tok, ok := b.s.tokens[principal]
	require.True(b.s.t, ok, principal)
	res := b.post("/console/signin", url.Values{"token": {tok}})
	require.Equal(b.s.t, http.StatusSeeOther, res.StatusCode)
	return res
}

func (b *browser) post(path string, form url.Values) *http.Response {
	b.s.t.Helper()
	req, err := http.NewRequest("POST", b.s.srv.URL+path, strings.NewReader(form.Encode()))
	require.NoError(b.s.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.s.srv.URL)
	res, err := b.client.Do(req)
	require.NoError(b.s.t, err)
	b.s.t.Cleanup(func() { _ = res.Body.Close() })
	return res
}

func (b *browser) get(path string) (*http.Response, string) {
	b.s.t.Helper()
	res, err := b.client.Get(b.s.srv.URL + path)
	require.NoError(b.s.t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(b.s.t, err)
	return res, string(body)
}

func itoaU(n uint64) string { return strconv.FormatUint(n, 10) }

func ruling() events.Terms {
	return events.Terms{Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant, Refund: 12900}
}

func readBody(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return string(b)
}
