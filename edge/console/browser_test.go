package console_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// ScreenshotsEnv names a directory the browser tests write their
// screenshots to (make screenshots); unset, they take none.
const ScreenshotsEnv = "DISPUTES_SCREENSHOTS"

// chromium is one headless Chromium for a test; each principal browses in
// its own browser context (its own cookies), and every request any page
// makes is recorded.
type chromium struct {
	t        *testing.T
	root     context.Context
	mu       sync.Mutex
	requests []string
}

func newChromium(t *testing.T) *chromium {
	t.Helper()
	path := testenv.Chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "zh-CN"), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 800),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelRoot(); cancelAlloc() })
	require.NoError(t, chromedp.Do(root), "start Chromium")
	return &chromium{t: t, root: root}
}

// tab is one principal's browser.
type tab struct {
	c    *chromium
	ctx  context.Context
	base string
}

func (c *chromium) tab(base string) *tab {
	c.t.Helper()
	ctx, cancel := chromedp.NewContext(c.root, chromedp.WithNewBrowserContext())
	c.t.Cleanup(cancel)
	require.NoError(c.t, chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			c.mu.Lock()
			c.requests = append(c.requests, e.Request.URL)
			c.mu.Unlock()
		}
	}))
	return &tab{c: c, ctx: ctx, base: base}
}

// do runs actions with a deadline.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.c.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	require.NoError(tb.c.t, chromedp.Do(ctx, actions...))
}

func run[T any](tb *tab, a chromedp.Action[T]) T {
	tb.c.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	require.NoError(tb.c.t, err)
	return v
}

// open navigates to path and returns the answer's status.
func (tb *tab) open(path string) int64 {
	tb.c.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.Navigate(tb.base+path))
	require.NoError(tb.c.t, err)
	return res.Status
}

// eventually waits until expr is true on the page, which may reload
// meanwhile (a live refresh): an evaluation cut off by it is tried again.
func (tb *tab) eventually(expr string) {
	tb.c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			tb.c.t.Fatalf("never true: %s (last error %v)", expr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (tb *tab) text(sel string) string { return run(tb, chromedp.Text(chromedp.CSS(sel))) }

func (tb *tab) signIn(token string) {
	tb.c.t.Helper()
	tb.open("/console/")
	tb.do(chromedp.WaitVisible(chromedp.ID("token")), chromedp.SetValue(chromedp.ID("token"), token),
		chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.CSS("form[action='/console/signout']")))
}

// screenshot writes the viewport as name.png when screenshots are asked for.
func (tb *tab) screenshot(name string) {
	tb.c.t.Helper()
	dir := os.Getenv(ScreenshotsEnv)
	if dir == "" {
		return
	}
	png := run(tb, chromedp.CaptureScreenshot())
	require.NoError(tb.c.t, os.MkdirAll(dir, 0o755))
	require.NoError(tb.c.t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}

// labelled checks that every form control on the page has a label.
func (tb *tab) labelled() {
	tb.c.t.Helper()
	unlabelled := run(tb, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea"))
		.filter(e => e.labels.length === 0 && !e.getAttribute("aria-label")).map(e => e.outerHTML)`))
	assert.Empty(tb.c.t, unlabelled, "every control has a label")
}

func TestConsoleInChromium(t *testing.T) {
	s := newSite(t)
	s.underReview("T-1", "b-1")
	s.underReview("T-2", "b-2")
	s.underReview("T-3", "b-1")
	s.seal()
	s.waitProjected()
	c := newChromium(t)

	arb, rival := c.tab(s.srv.URL), c.tab(s.srv.URL)
	arb.signIn(s.tokens["arbitrator:arb-1"]) // a JWT
	rival.signIn(s.tokens["arbitrator:arb-2"])

	// The queue lists the tickets under review.
	arb.open("/console/")
	arb.do(chromedp.WaitVisible(chromedp.CSS(`tr[data-ticket="T-1"]`)))
	assert.Contains(t, arb.text("#ticket-list tbody"), "T-2")
	arb.labelled()
	arb.screenshot("queue")

	// The rival arbitrator opens T-1 and starts on a ruling.
	rival.open("/console/tickets/T-1")
	rival.do(chromedp.SetValue(chromedp.ID("rule-rationale"), "先写的理由 my own reasons"))

	// The arbitrator finds T-1 from the queue and replays it.
	arb.do(chromedp.Click(chromedp.CSS(`tr[data-ticket="T-1"] a`)), chromedp.WaitVisible(chromedp.ID("state-status")))
	assert.Equal(t, "under_review", run(arb, attr("#state-status", "data-status")))
	arb.labelled()
	arb.do(chromedp.SetValue(chromedp.ID("rev"), "1"), chromedp.Click(chromedp.ID("show-rev")),
		chromedp.WaitVisible(chromedp.CSS("p.replaying")))
	assert.Equal(t, "rejected", run(arb, attr("#state-status", "data-status")), "revision 1 is the merchant's rejection")
	assert.Contains(t, arb.text("#replay-status"), "revision 1")
	arb.do(chromedp.Click(chromedp.ID("step-back")), chromedp.WaitVisible(chromedp.CSS(`#state-status[data-status="awaiting_merchant"]`)))
	arb.do(chromedp.Click(chromedp.ID("step-forward")), chromedp.WaitVisible(chromedp.CSS(`#state-status[data-status="rejected"]`)))
	assert.Zero(t, run(arb, chromedp.Evaluate[int](`document.querySelectorAll("#act").length`)), "no forms on a replayed state")
	arb.screenshot("ticket-replay")

	// The buyer watches the ticket: the page follows the ledger live.
	b1 := c.tab(s.srv.URL)
	b1.signIn(s.tokens["buyer:b-1"])
	b1.open("/console/tickets/T-1")
	run(b1, chromedp.Poll[bool](`document.getElementById("live-status").textContent.includes("live")`, chromedp.WithPollingTimeout(5*time.Second)))
	assert.Zero(t, run(b1, chromedp.Evaluate[int](`document.querySelectorAll("#rule-form").length`)), "a buyer is offered no ruling")

	// Back to now, the arbitrator rules.
	arb.open("/console/tickets/T-1")
	arb.do(
		chromedp.SetValue(chromedp.CSS(`#rule-form select[name=outcome]`), "buyer_favoured"),
		chromedp.SetValue(chromedp.CSS(`#rule-form select[name=liability]`), "merchant"),
		chromedp.SetValue(chromedp.CSS(`#rule-form input[name=refund]`), "129.00"),
		chromedp.Click(chromedp.CSS(`#rule-form input[name=evidence][value="ev-b-1"]`)),
		chromedp.SetValue(chromedp.ID("rule-rationale"), "开箱照片显示屏幕碎裂 the unboxing photo shows the cracked screen"),
		chromedp.Click(chromedp.ID("rule-submit")),
		chromedp.WaitVisible(chromedp.ID("done")),
	)
	assert.Equal(t, "ruled", run(arb, attr("#state-status", "data-status")))
	assert.Contains(t, arb.text("#state-ruling"), "buyer favoured")
	assert.Contains(t, arb.text("#timeline tbody tr:first-child"), "ruling.recorded", "the timeline shows the ruling first")

	b1.eventually(`document.querySelector('#state-status[data-status="ruled"]') !== null`)

	// The rival's form was filled in on the old revision: 412, in words.
	rival.do(chromedp.Click(chromedp.ID("rule-submit")), chromedp.WaitVisible(chromedp.ID("refusal")))
	refusal := rival.text("#refusal")
	assert.Contains(t, refusal, "Someone else acted")
	assert.Contains(t, refusal, "其他人已处理")
	assert.Equal(t, "ruled", run(rival, attr("#state-status", "data-status")), "the page offers the new state")

	// The queue no longer holds T-1, and updates live when T-2 is ruled.
	arb.open("/console/")
	arb.do(chromedp.WaitVisible(chromedp.CSS(`tr[data-ticket="T-2"]`)))
	assert.NotContains(t, arb.text("#ticket-list tbody"), "T-1")
	run(arb, chromedp.Poll[bool](`document.getElementById("live-status").textContent.includes("live")`, chromedp.WithPollingTimeout(5*time.Second)))
	s.do("arbitrator:arb-2", "T-2", domain.Rule{Terms: ruling(), Rationale: "merchant liable", Evidence: []string{"ev-b-2"}})
	run(arb, chromedp.Poll[bool](`!document.querySelector('tr[data-ticket="T-2"]')`, chromedp.WithPollingTimeout(10*time.Second)))
	assert.Contains(t, arb.text("#ticket-list tbody"), "T-3")

	// A buyer cannot open another buyer's ticket, nor find it in a list.
	// The buyer signs in with the keyboard alone: the token field has the
	// focus, Enter submits.
	b2 := c.tab(s.srv.URL)
	b2.open("/console/signin")
	b2.do(chromedp.WaitVisible(chromedp.ID("token")), chromedp.KeyEvent(s.tokens["buyer:b-2"]+"\r"),
		chromedp.WaitVisible(chromedp.CSS("form[action='/console/signout']")))
	b2.labelled()
	assert.EqualValues(t, 404, b2.open("/console/tickets/T-1"))
	missing := b2.text("main")
	assert.EqualValues(t, 404, b2.open("/console/tickets/NO-SUCH"))
	assert.Equal(t, missing, b2.text("main"), "a non-party's 404 reads as a missing ticket's")
	for _, path := range []string{"/console/", "/console/?merchant=m-1", "/console/?status=under_review"} {
		b2.open(path)
		body := b2.text("main")
		assert.NotContains(t, body, "T-1", path)
		assert.NotContains(t, body, "T-3", path)
	}

	// The merchant's page: score, chart, tickets.
	m := c.tab(s.srv.URL)
	m.signIn(s.tokens["merchant:m-1"])
	m.open("/console/merchants/m-1")
	m.do(chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	assert.NotEqual(t, "0", run(m, attr("#score", "data-score")), "the ruling and the vague message cost points")
	m.screenshot("merchant")

	// On a narrow screen nothing but the tables' own scrollers is wider
	// than the screen.
	m.do(chromedp.EmulateViewport(390, 844))
	for _, path := range []string{"/console/merchants/m-1", "/console/tickets/T-1", "/console/"} {
		m.open(path)
		assert.True(t, run(m, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)), "%s fits 390px", path)
	}

	// The auditor verifies T-1: PASS; then the ledger is tampered with.
	s.seal()
	au := c.tab(s.srv.URL)
	au.signIn(s.tokens["auditor:au-1"])
	au.open("/console/audit/T-1")
	assert.Equal(t, "PASS", au.text("#verdict"))
	assert.NotContains(t, au.text(".steps-list"), "FAIL")
	au.screenshot("audit")
	tamper(t, s.path, "T-1")
	au.open("/console/audit/T-1")
	assert.Equal(t, "FAIL", au.text("#verdict"))
	assert.Equal(t, "FAIL", au.text(`li[data-step="0"] .result`), "the event-hash step fails")
	assert.Contains(t, au.text(`li[data-step="0"]`), "event_hash")
	assert.Equal(t, "PASS", au.text(`li[data-step="3"] .result`), "the inclusion step stands: the stored hashes are unchanged")
	assert.Contains(t, au.text("#audit-events tr.fail"), "refund.requested")

	// Nothing was loaded from anywhere but the server.
	c.mu.Lock()
	defer c.mu.Unlock()
	require.NotEmpty(t, c.requests)
	for _, u := range c.requests {
		// data: URLs are the browser's own (the date picker's icon), not fetched.
		assert.True(t, strings.HasPrefix(u, s.srv.URL+"/") || strings.HasPrefix(u, "data:"), "request to %s", u)
	}
}

// attr reads an attribute of the first element matching sel.
func attr(sel, name string) chromedp.Action[string] {
	return chromedp.Evaluate[string](`document.querySelector(` + jsString(sel) + `).getAttribute(` + jsString(name) + `)`)
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// tamper changes one byte of the description in ticket's opening event,
// leaving its stored hash: what an operator with write access could do.
func tamper(t *testing.T, path, ticket string) {
	t.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(t, err)
	defer db.Close()
	var pos int64
	var data []byte
	require.NoError(t, db.QueryRow(`SELECT position, data FROM events WHERE stream = ? AND revision = 0`, "ticket-"+ticket).Scan(&pos, &data))
	i := bytes.Index(data, []byte(`"description":"`)) + len(`"description":"`)
	require.Greater(t, i, len(`"description":"`))
	data = bytes.Clone(data)
	data[i]++
	_, err = db.Exec(`UPDATE events SET data = ? WHERE position = ?`, data, pos)
	require.NoError(t, err)
}
