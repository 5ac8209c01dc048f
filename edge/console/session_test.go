package console_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
)

func sessionCookieOf(t *testing.T, res *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range res.Cookies() {
		if c.Name == "disputes_console" {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", res.Header.Values("Set-Cookie"))
	return nil
}

func TestSessionCookieFlags(t *testing.T) {
	s := newSite(t)
	b := s.browser()
	c := sessionCookieOf(t, b.signIn("arbitrator:arb-1")) // a JWT
	assert.True(t, c.HttpOnly, "no script reads the session")
	assert.Equal(t, http.SameSiteStrictMode, c.SameSite, "no cross-site request carries it")
	assert.Equal(t, "/console/", c.Path)
	assert.False(t, c.Secure, "plain HTTP: a Secure cookie would never come back")
	assert.NotContains(t, c.Value, s.tokens["arbitrator:arb-1"][:20], "the cookie holds a session id, never the token")

	// Over TLS the cookie is Secure.
	req := httptest.NewRequest("POST", "/console/signin", strings.NewReader(url.Values{"token": {s.tokens["auditor:au-1"]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.TLS = &tls.ConnectionState{}
	rec := httptest.NewRecorder()
	s.srv.Config.Handler.ServeHTTP(rec, req)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	tlsCookie := sessionCookieOf(t, rec.Result())
	assert.True(t, tlsCookie.Secure)
	assert.True(t, tlsCookie.HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, tlsCookie.SameSite)
}

func TestSignInRefusesBadTokens(t *testing.T) {
	s := newSite(t)
	for _, tok := range []string{"", "tok-nobody", s.tokens["arbitrator:arb-1"] + "x"} {
		b := s.browser()
		res := b.post("/console/signin", url.Values{"token": {tok}})
		assert.Equal(t, http.StatusUnauthorized, res.StatusCode, tok)
		assert.Empty(t, res.Cookies(), "no session for a refused token")
	}
	// Without a session every page sends the browser to sign in.
	res, _ := s.browser().get("/console/")
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/console/signin", res.Header.Get("Location"))
	res, _ = s.browser().get("/")
	assert.Equal(t, http.StatusSeeOther, res.StatusCode, "GET / leads to the console")
	assert.Equal(t, "/console/", res.Header.Get("Location"))
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
var keyField = regexp.MustCompile(`name="key" value="([^"]+)"`)

func TestFormsWithoutCSRFTokenAreRefused(t *testing.T) {
	s := newSite(t)
	s.underReview("T-1", "b-1")
	b := s.browser()
	b.signIn("arbitrator:arb-2")
	_, page := b.get("/console/tickets/T-1")
	m := csrfField.FindStringSubmatch(page)
	require.NotNil(t, m, "the page carries the session's CSRF token")
	before := revision(t, s, "T-1")

	form := url.Values{"outcome": {"buyer_favoured"}, "liability": {"merchant"}, "refund": {"129"}, "rationale": {"photos"},
		"revision": {before}, "key": {"k-1"}}
	res := b.post("/console/tickets/T-1/rule", form)
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "no CSRF token")
	form.Set("csrf", "forged")
	res = b.post("/console/tickets/T-1/rule", form)
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "a wrong CSRF token")
	assert.Equal(t, before, revision(t, s, "T-1"), "nothing recorded")

	// A cross-site request is refused even with the right token.
	form.Set("csrf", m[1])
	req, err := http.NewRequest("POST", s.srv.URL+"/console/tickets/T-1/rule", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err = b.client.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "cross-site")
	assert.Equal(t, before, revision(t, s, "T-1"), "nothing recorded")

	// The same form with the token is recorded.
	res = b.post("/console/tickets/T-1/rule", form)
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.NotEqual(t, before, revision(t, s, "T-1"))
}

func TestSignOutEndsTheSession(t *testing.T) {
	s := newSite(t)
	b := s.browser()
	cookie := sessionCookieOf(t, b.signIn("agent:cs-1"))
	_, page := b.get("/console/")
	csrf := csrfField.FindStringSubmatch(page)
	require.NotNil(t, csrf)
	res := b.post("/console/signout", url.Values{"csrf": {csrf[1]}})
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)

	// The old cookie, replayed, no longer opens anything.
	replay := s.browser()
	u, _ := url.Parse(s.srv.URL + "/console/")
	replay.client.Jar.SetCookies(u, []*http.Cookie{cookie})
	res, _ = replay.get("/console/")
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/console/signin", res.Header.Get("Location"))
}

func TestNonPartiesSeeNothing(t *testing.T) {
	s := newSite(t)
	s.underReview("T-1", "b-1")
	s.underReview("T-2", "b-2")
	s.waitProjected()

	b2 := s.browser()
	b2.signIn("buyer:b-2")
	missing, missingBody := b2.get("/console/tickets/NO-SUCH")
	other, otherBody := b2.get("/console/tickets/T-1")
	assert.Equal(t, http.StatusNotFound, missing.StatusCode)
	assert.Equal(t, http.StatusNotFound, other.StatusCode, "another buyer's ticket is not found")
	assert.Equal(t, missingBody, otherBody, "and reads exactly as a missing one")
	own, _ := b2.get("/console/tickets/T-2")
	assert.Equal(t, http.StatusOK, own.StatusCode)

	for _, path := range []string{"/console/", "/console/?merchant=m-1", "/console/?status=under_review", "/console/merchants/m-1", "/console/audit/T-1"} {
		_, body := b2.get(path)
		assert.NotContains(t, body, "T-1", path)
	}
	_, list := b2.get("/console/")
	assert.Contains(t, list, "T-2", "the buyer's own ticket is listed")

	// Acting on it is not found either, and records nothing.
	_, page := b2.get("/console/tickets/T-2")
	csrf := csrfField.FindStringSubmatch(page)[1]
	before := revision(t, s, "T-1")
	res := b2.post("/console/tickets/T-1/post_message", url.Values{"csrf": {csrf}, "text": {"hi"}, "revision": {before}, "key": {"k-x"}})
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Equal(t, before, revision(t, s, "T-1"))

	// A merchant sees its own page only.
	m2 := s.browser()
	m2.signIn("merchant:m-2")
	res, _ = m2.get("/console/merchants/m-1")
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	res, _ = m2.get("/console/tickets/T-1")
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
}

func revision(t *testing.T, s *site, ticket string) string {
	t.Helper()
	tk, _, err := commands.LoadTicket(context.Background(), s.store, ticket)
	require.NoError(t, err)
	return itoaU(tk.Revision)
}

func TestConsoleRequestsAreLogged(t *testing.T) {
	s := newSite(t)
	b := s.browser()
	b.signIn("agent:cs-1")
	b.get("/console/tickets/NO-SUCH")
	assert.Regexp(t, `"msg":"console request","method":"GET","path":"/console/tickets/NO-SUCH","status":404,.*"actor":"agent:cs-1"`, s.logs.String())
	assert.NotContains(t, s.logs.String(), s.tokens["agent:cs-1"], "no token in the log")
}

func TestAuditorPageAndBundle(t *testing.T) {
	s := newSite(t)
	s.underReview("T-1", "b-1")
	s.seal()
	au := s.browser()
	au.signIn("auditor:au-1")
	res, page := au.get("/console/audit/T-1")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, page, `<span id="verdict">PASS</span>`)
	assert.Contains(t, page, "pinned by this server")
	assert.NotContains(t, page, `action="/console/tickets/`, "read-only: the auditor page has no forms")

	res, bundleText := au.get("/console/audit/T-1/bundle")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, `attachment; filename="ticket-T-1.bundle.jsonl"`, res.Header.Get("Content-Disposition"))
	assert.True(t, strings.HasPrefix(bundleText, `{"kind":"header"`), "a bundle, header first")
	assert.Equal(t, 8, strings.Count(bundleText, `"kind":"event"`), "the ticket's eight events")

	for _, path := range []string{"/console/audit/NO-SUCH", "/console/audit/NO-SUCH/bundle"} {
		res, _ := au.get(path)
		assert.Equal(t, http.StatusNotFound, res.StatusCode, path)
	}
	// The parties never reach it.
	b := s.browser()
	b.signIn("buyer:b-1")
	for _, path := range []string{"/console/audit/T-1", "/console/audit/T-1/bundle"} {
		res, _ := b.get(path)
		assert.Equal(t, http.StatusNotFound, res.StatusCode, path)
	}
}
