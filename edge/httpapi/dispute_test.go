package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/events"
)

// TestFullDisputeOverHTTP plays a dispute from request to appeal over real
// HTTP with four differently authenticated clients — a buyer and a merchant
// with opaque tokens, an arbitrator with an HS256 JWT and a senior
// arbitrator with an EdDSA JWT — while the scheduler inside the ledger
// fires the deadlines as the test clock passes them, and an auditor reads.
func TestFullDisputeOverHTTP(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fullDispute(t, newLedger(t, options{scheduler: true, projector: true}))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fullDispute(t, newLedger(t, options{postgres: true, scheduler: true, projector: true}))
	})
}

func fullDispute(t *testing.T, l *ledger) {
	buyer, merchant := l.as("buyer:b-1"), l.as("merchant:m-1")
	arbitrator, senior := l.as("arbitrator:arb-1"), l.as("senior_arbitrator:sr-1")
	auditor := l.as("auditor:au-1")

	opened := buyer.ok("T-1", "open_ticket", "c-open", openData("m-1"))
	assert.Equal(t, uint64(0), opened.Revision)
	assert.Equal(t, []string{events.TypeRefundRequested}, eventTypes(t, opened.Events))
	assert.Equal(t, "awaiting_merchant", string(opened.Ticket.Status))
	assert.Equal(t, "b-1", opened.Ticket.BuyerID, "the buyer is the authenticated principal")

	l.clock.Advance(2 * time.Hour)
	rejected := merchant.ok("T-1", "reject", "c-reject", map[string]any{"reason": "人为损坏"})
	assert.Equal(t, "rejected", string(rejected.Ticket.Status))

	// If-Match: a stale revision is refused with 412, the current one goes.
	stale := buyer.command("T-1", "post_message", "c-msg", map[string]any{"text": "really?"}, "If-Match", `"0"`)
	assert.Equal(t, http.StatusPreconditionFailed, stale.status)
	assert.Equal(t, "revision_mismatch", stale.problem(t).Code)
	fresh := buyer.command("T-1", "post_message", "c-msg", map[string]any{"text": "really?"}, "If-Match", `"1"`)
	require.Equal(t, http.StatusCreated, fresh.status, string(fresh.body))
	assert.Equal(t, `"2"`, fresh.header.Get("ETag"))

	intervened := buyer.ok("T-1", "request_intervention", "c-int", map[string]any{"reason": "商家拒绝"})
	assert.True(t, intervened.Ticket.Locked)
	assert.Equal(t, "negotiation", string(intervened.Ticket.Status))
	locked := merchant.command("T-1", "agree", "c-agree", nil)
	assert.Equal(t, http.StatusUnprocessableEntity, locked.status)
	assert.Equal(t, "ticket_locked", locked.problem(t).Code)

	// The 24-hour negotiation window passes: the scheduler requests evidence.
	l.clock.Advance(24*time.Hour + time.Minute)
	l.waitStatus("T-1", "awaiting_evidence")
	buyer.ok("T-1", "submit_evidence", "c-ev-b", evidence("ev-buyer"))
	merchant.ok("T-1", "submit_evidence", "c-ev-m", evidence("ev-merchant"))
	beforeReview := l.clock.Now()

	// Four working hours later the evidence window closes: under review.
	l.clock.Advance(5 * time.Hour)
	l.waitStatus("T-1", "under_review")

	ruled := arbitrator.ok("T-1", "rule", "c-rule", map[string]any{"outcome": "buyer_favoured", "liability": "merchant",
		"refund": 5000, "rationale": "photos show transit damage the merchant denied", "evidence": []string{"ev-buyer"}})
	assert.Equal(t, "ruled", string(ruled.Ticket.Status))
	require.NotNil(t, ruled.Ticket.Ruling)
	assert.Equal(t, "arb-1", ruled.Ticket.Ruling.ArbitratorID, "the ruling is the JWT subject's")

	appealed := merchant.ok("T-1", "file_appeal", "c-appeal", map[string]any{"grounds": "the photos predate delivery"})
	assert.Equal(t, "under_appeal", string(appealed.Ticket.Status))
	decided := senior.ok("T-1", "decide_appeal", "c-decide", map[string]any{"decision": "upheld", "rationale": "timestamps verified"})
	assert.Equal(t, []string{events.TypeAppealDecided, events.TypeRulingFinalized}, eventTypes(t, decided.Events))
	assert.Equal(t, "closed", string(decided.Ticket.Status))
	assert.Equal(t, "ruled", string(decided.Ticket.Resolution))
	assert.Equal(t, int64(5000), decided.Ticket.Refunded)

	// The auditor reads the state, which the last command's answer matched.
	var state httpapi.TicketView
	res := auditor.get("/v1/tickets/T-1")
	require.Equal(t, http.StatusOK, res.status)
	res.json(t, &state)
	assert.Equal(t, decided.Revision, state.Revision)
	assert.Equal(t, strconv.Quote(strconv.FormatUint(state.Revision, 10)), res.header.Get("ETag"))
	assert.Equal(t, http.StatusNotModified, auditor.do("GET", "/v1/tickets/T-1", nil, map[string]string{"If-None-Match": res.header.Get("ETag")}).status)

	// History as of before the review: the ticket was awaiting evidence.
	var hist httpapi.HistoryResponse
	auditor.get("/v1/tickets/T-1/history?as_of="+beforeReview.Format(time.RFC3339)).json(t, &hist)
	require.NotEmpty(t, hist.Steps)
	assert.Equal(t, "awaiting_evidence", string(hist.Steps[len(hist.Steps)-1].StateAfter.Status))
	assert.Less(t, len(hist.Steps), hist.Events)
	var full httpapi.HistoryResponse
	arbitrator.get("/v1/tickets/T-1/history").json(t, &full)
	require.Len(t, full.Steps, hist.Events)
	var systemSteps int
	for i, st := range full.Steps {
		assert.Equal(t, uint64(i), st.Revision)
		if i > 0 {
			assert.Equal(t, full.Steps[i-1].Hash, st.PrevHash, "hash chained")
		}
		if st.Actor == events.SystemActor() {
			systemSteps++
		}
	}
	assert.GreaterOrEqual(t, systemSteps, 2, "the scheduler fired negotiation and evidence")

	// The projections catch up: audit trail, lists and the merchant's score.
	l.waitProjected()
	var trail httpapi.AuditResponse
	res = auditor.get("/v1/tickets/T-1/audit")
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	res.json(t, &trail)
	require.Len(t, trail.Entries, len(full.Steps))
	for i, e := range trail.Entries {
		assert.Equal(t, full.Steps[i].Hash, e.Hash)
		assert.Equal(t, full.Steps[i].Summary, e.Summary)
		_, err := uuid.Parse(full.Steps[i].EventID)
		assert.NoError(t, err, "history step %d names its event", i)
		assert.Equal(t, full.Steps[i].EventID, e.EventID, "history and audit trail name the same event")
	}

	var score httpapi.MerchantScore
	res = merchant.get("/v1/merchants/m-1/score")
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	res.json(t, &score)
	assert.Equal(t, 6, score.Breakdown["merchant_liability"], "a ruling of merchant liability costs 6 points")
	assert.Equal(t, 1, score.Rulings)
	assert.Equal(t, 1, score.RulingsLost)

	var list httpapi.TicketList
	merchant.get("/v1/tickets?status=closed").json(t, &list)
	require.Len(t, list.Items, 1)
	assert.Equal(t, "T-1", list.Items[0].TicketID)
	assert.Equal(t, "ruled", list.Items[0].Resolution)

	// The live stream carries every event, each with its position as id.
	ids, datas := readStream(t, l, auditor, "/v1/events?after=0", len(full.Steps))
	for i, d := range datas {
		env, err := events.Decode([]byte(d))
		require.NoError(t, err)
		assert.Equal(t, full.Steps[i].Hash, env.Hash)
		assert.Equal(t, uint64(i+1), ids[i])
	}

	// And the metrics count what happened.
	res = auditor.get("/metrics")
	require.Equal(t, http.StatusOK, res.status)
	body := string(res.body)
	for _, want := range []string{
		`disputes_commands_total{command="rule",outcome="recorded"} 1`,
		`disputes_commands_total{command="post_message",outcome="revision_mismatch"} 1`,
		`disputes_commands_total{command="agree",outcome="ticket_locked"} 1`,
		`disputes_projection_lag_events{projection="audit_trail"} 0`,
		`disputes_append_duration_seconds_count `,
		`disputes_http_request_duration_seconds_bucket{route="POST /v1/tickets/{ticket_id}/commands/rule",le="+Inf"} 1`,
	} {
		assert.Contains(t, body, want)
	}

	// The access log has one structured line per request, with the actor
	// and the command id.
	var seen bool
	for _, line := range strings.Split(l.logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["command_id"] == "c-rule" {
			seen = true
			assert.Equal(t, "arbitrator:arb-1", rec["actor"])
			assert.Equal(t, "T-1", rec["ticket_id"])
			assert.Equal(t, float64(201), rec["status"])
			assert.NotEmpty(t, rec["request_id"])
			assert.Contains(t, rec, "latency_ms")
		}
	}
	assert.True(t, seen, "access log line of the ruling")
}

// readStream reads n events from an SSE route and returns their ids and data.
func readStream(t *testing.T, l *ledger, c client, path string, n int) ([]uint64, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", l.srv.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := l.srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "text/event-stream", res.Header.Get("Content-Type"))
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var ids []uint64
	var datas []string
	for len(datas) < n && sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			id, err := strconv.ParseUint(strings.TrimPrefix(line, "id: "), 10, 64)
			require.NoError(t, err)
			ids = append(ids, id)
		case strings.HasPrefix(line, "data: "):
			datas = append(datas, strings.TrimPrefix(line, "data: "))
		}
	}
	require.Len(t, datas, n, "stream ended early: %v", sc.Err())
	return ids, datas
}
