package httpapi_test

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/events"
)

// sse is an open event stream.
type sse struct {
	res    *http.Response
	sc     *bufio.Scanner
	cancel context.CancelFunc
}

func (l *ledger) openStream(t *testing.T, c client, path string, header map[string]string) (*sse, response) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	req, err := http.NewRequestWithContext(ctx, "GET", l.srv.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+c.token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := l.srv.Client().Do(req)
	require.NoError(t, err)
	if res.StatusCode != http.StatusOK {
		defer cancel()
		defer res.Body.Close()
		var b strings.Builder
		_, _ = bufio.NewReader(res.Body).WriteTo(&b)
		return nil, response{status: res.StatusCode, header: res.Header, body: []byte(b.String())}
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	s := &sse{res: res, sc: sc, cancel: cancel}
	t.Cleanup(s.close)
	return s, response{status: res.StatusCode, header: res.Header}
}

func (s *sse) close() { s.cancel(); s.res.Body.Close() }

// next returns the next event's id and decoded envelope.
func (s *sse) next(t *testing.T) (uint64, events.Envelope) {
	t.Helper()
	var id uint64
	for s.sc.Scan() {
		line := s.sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			var err error
			id, err = strconv.ParseUint(strings.TrimPrefix(line, "id: "), 10, 64)
			require.NoError(t, err)
		case strings.HasPrefix(line, "data: "):
			env, err := events.Decode([]byte(strings.TrimPrefix(line, "data: ")))
			require.NoError(t, err)
			return id, env
		}
	}
	t.Fatalf("stream ended: %v", s.sc.Err())
	return 0, events.Envelope{}
}

// TestEventStreams checks what each principal's stream carries, that
// Last-Event-ID resumes after the last event seen, and that the number of
// streams is bounded.
func TestEventStreams(t *testing.T) {
	t.Parallel()
	l := newLedger(t, options{cfg: func(c *httpapi.Config) { c.MaxStreams = 3 }})
	l.as("buyer:b-1").ok("T-1", "open_ticket", "o-1", openData("m-1"))              // position 1
	l.as("buyer:b-2").ok("T-2", "open_ticket", "o-2", openData("m-2"))              // position 2
	l.as("merchant:m-1").ok("T-1", "reject", "r-1", map[string]any{"reason": "no"}) // position 3

	// A buyer's stream carries only its own tickets' events, old and new.
	b2, _ := l.openStream(t, l.as("buyer:b-2"), "/v1/events", nil)
	pos, env := b2.next(t)
	assert.Equal(t, uint64(2), pos)
	assert.Equal(t, "ticket-T-2", env.Stream)
	l.as("merchant:m-1").ok("T-1", "post_message", "m-1", map[string]any{"text": "not yours"}) // position 4
	l.as("merchant:m-2").ok("T-2", "agree", "a-2", nil)                                        // positions 5, 6
	pos, env = b2.next(t)
	assert.Equal(t, uint64(5), pos, "T-1's events are skipped")
	assert.Equal(t, events.TypeMerchantAgreed, env.Type)
	b2.close()

	// Last-Event-ID takes over from after=.
	au, _ := l.openStream(t, l.as("auditor:au-1"), "/v1/events?after=0", map[string]string{"Last-Event-ID": "3"})
	pos, env = au.next(t)
	assert.Equal(t, uint64(4), pos)
	assert.Equal(t, events.TypeMessagePosted, env.Type)

	// One ticket's stream, for its merchant.
	m1, _ := l.openStream(t, l.as("merchant:m-1"), "/v1/events?ticket_id=T-1&after=1", nil)
	pos, env = m1.next(t)
	assert.Equal(t, uint64(3), pos)
	assert.Equal(t, "ticket-T-1", env.Stream)

	// Two streams are open (auditor, merchant); the third is allowed (once
	// the server has noticed b-2's stream closed), the fourth refused.
	require.Eventually(t, func() bool {
		_, ok := l.openStream(t, l.as("agent:cs-1"), "/v1/events", nil)
		return ok.status == http.StatusOK
	}, 5*time.Second, 10*time.Millisecond)
	_, res := l.openStream(t, l.as("agent:cs-1"), "/v1/events", nil)
	require.Equal(t, http.StatusServiceUnavailable, res.status)
	assert.Equal(t, "too_many_streams", res.problem(t).Code)
	assert.Equal(t, "5", res.header.Get("Retry-After"))
}

// TestTicketListPages walks a ticket list page by page through its cursors
// and checks the filters and the scoping.
func TestTicketListPages(t *testing.T) {
	t.Parallel()
	l := newLedger(t, options{projector: true})
	var want []string
	for i := range 7 {
		buyer, id := "buyer:b-1", "L-"+strconv.Itoa(i)
		if i%3 == 2 {
			buyer = "buyer:b-2"
		}
		l.as(buyer).ok(id, "open_ticket", "o-"+id, openData("m-1"))
		want = append(want, id)
		l.clock.Advance(time.Minute)
	}
	l.as("merchant:m-1").ok("L-0", "reject", "r-0", map[string]any{"reason": "no"})
	l.waitProjected()

	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10)
		var page httpapi.TicketList
		res := l.as("auditor:au-1").get("/v1/tickets?limit=3&cursor=" + cursor)
		require.Equal(t, http.StatusOK, res.status, string(res.body))
		res.json(t, &page)
		assert.LessOrEqual(t, len(page.Items), 3)
		for _, it := range page.Items {
			got = append(got, it.TicketID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	assert.Equal(t, want, got, "every ticket once, in opening order")

	list := func(who, query string) []string {
		var page httpapi.TicketList
		res := l.as(who).get("/v1/tickets?" + query)
		require.Equal(t, http.StatusOK, res.status, string(res.body))
		res.json(t, &page)
		var ids []string
		for _, it := range page.Items {
			ids = append(ids, it.TicketID)
		}
		return ids
	}
	assert.Equal(t, []string{"L-2", "L-5"}, list("buyer:b-2", ""), "a buyer lists its own tickets only")
	assert.Equal(t, []string{"L-0"}, list("merchant:m-1", "status=rejected"))
	assert.Empty(t, list("merchant:m-2", ""))
	assert.Equal(t, []string{"L-1", "L-2"}, list("agent:cs-1", "status=awaiting_merchant&opened_from="+
		t0.Format(time.RFC3339)+"&opened_to="+t0.Add(3*time.Minute).Format(time.RFC3339)))
	assert.Empty(t, list("auditor:au-1", "deadline_before="+t0.Add(time.Hour).Format(time.RFC3339)))
	assert.Equal(t, want[1:], list("auditor:au-1", "deadline_before="+t0.Add(80*time.Hour).Format(time.RFC3339)),
		"L-0 was rejected: its next deadline is the buyer's, a week on")
}

// TestOneTokenCannotTakeEveryStream is the regression test of issue 11,
// finding 4: one token could open all 256 event streams and shut every
// other principal out. Now a principal holds at most its share (default 8):
// the next is 429 with Retry-After, while another principal still gets a
// stream, and a closed stream gives its slot back.
func TestOneTokenCannotTakeEveryStream(t *testing.T) {
	t.Parallel()
	l := newLedger(t, options{}) // the defaults: 256 in all, 8 per principal
	l.as("buyer:b-1").ok("T-1", "open_ticket", "o-1", openData("m-1"))
	const share = 8
	var mine []*sse
	for range share {
		s, res := l.openStream(t, l.as("buyer:b-1"), "/v1/events", nil)
		require.Equal(t, http.StatusOK, res.status)
		mine = append(mine, s)
	}
	_, res := l.openStream(t, l.as("buyer:b-1"), "/v1/events", nil)
	require.Equal(t, http.StatusTooManyRequests, res.status, string(res.body))
	assert.Equal(t, "too_many_streams_for_principal", res.problem(t).Code)
	assert.NotEmpty(t, res.header.Get("Retry-After"))
	_, res = l.openStream(t, l.as("buyer:b-1"), "/v1/events?ticket_id=T-1", nil)
	assert.Equal(t, http.StatusTooManyRequests, res.status, "a one-ticket stream counts too")

	other, res := l.openStream(t, l.as("buyer:b-2"), "/v1/events", nil)
	require.Equal(t, http.StatusOK, res.status, "another principal still gets a stream")
	other.close()
	_, res = l.openStream(t, l.as("merchant:m-1"), "/v1/events?ticket_id=T-1", nil)
	require.Equal(t, http.StatusOK, res.status)

	mine[0].close()
	require.Eventually(t, func() bool {
		_, res := l.openStream(t, l.as("buyer:b-1"), "/v1/events", nil)
		return res.status == http.StatusOK
	}, 5*time.Second, 10*time.Millisecond, "a closed stream gives its slot back")
}
