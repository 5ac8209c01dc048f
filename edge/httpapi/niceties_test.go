package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/eventstore"
)

// TestListRefusesUnknownFilterValues: a misspelt status or kind is a 400
// naming the parameter, not an empty 200 that reads as "no such tickets".
func TestListRefusesUnknownFilterValues(t *testing.T) {
	t.Parallel()
	l := newLedger(t, options{projector: true})
	l.as("buyer:b-1").ok("T-1", "open_ticket", "o-1", openData("m-1"))
	l.waitProjected()
	auditor := l.as("auditor:au-1")
	tests := []struct {
		query string
		field string
	}{
		{"status=bogus", "status"},
		{"status=AWAITING_MERCHANT", "status"},
		{"kind=refund", "kind"},
		{"status=closed&kind=exchange%20", "kind"},
	}
	for _, tc := range tests {
		res := auditor.get("/v1/tickets?" + tc.query)
		require.Equal(t, http.StatusBadRequest, res.status, "%s: %s", tc.query, res.body)
		p := res.problem(t)
		assert.Equal(t, "validation", p.Code, tc.query)
		assert.Equal(t, tc.field, p.Field, tc.query)
		assert.Contains(t, p.Detail, "must be one of", tc.query)
	}
	// Known values still filter.
	var list httpapi.TicketList
	res := auditor.get("/v1/tickets?status=awaiting_merchant&kind=refund_only")
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	res.json(t, &list)
	require.Len(t, list.Items, 1)
	assert.False(t, list.HasMore)
}

// TestListsSayWhetherMoreFollow: ticket lists and audit trails carry
// has_more beside next_cursor, and the audit trail pages through every
// entry once.
func TestListsSayWhetherMoreFollow(t *testing.T) {
	t.Parallel()
	l := newLedger(t, options{projector: true})
	buyer := l.as("buyer:b-1")
	for i := range 3 {
		buyer.ok("T-"+strconv.Itoa(i), "open_ticket", "o-"+strconv.Itoa(i), openData("m-1"))
		l.clock.Advance(time.Minute)
	}
	for i := range 5 {
		buyer.ok("T-0", "post_message", "m-"+strconv.Itoa(i), map[string]any{"text": "hello " + strconv.Itoa(i)})
	}
	l.waitProjected()
	auditor := l.as("auditor:au-1")

	var page httpapi.TicketList
	auditor.get("/v1/tickets?limit=2").json(t, &page)
	assert.True(t, page.HasMore)
	assert.NotEmpty(t, page.NextCursor)
	res := auditor.get("/v1/tickets?limit=2&cursor=" + page.NextCursor)
	require.Equal(t, http.StatusOK, res.status)
	assert.Contains(t, string(res.body), `"has_more":false`, "has_more is present on the last page too")

	var whole httpapi.AuditResponse
	auditor.get("/v1/tickets/T-0/audit").json(t, &whole)
	require.Len(t, whole.Entries, 6, "the opening and five messages")
	assert.False(t, whole.HasMore)
	assert.Empty(t, whole.NextCursor)

	var got []httpapi.AuditEntry
	cursor := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 5)
		var p httpapi.AuditResponse
		res := auditor.get("/v1/tickets/T-0/audit?limit=4&cursor=" + cursor)
		require.Equal(t, http.StatusOK, res.status, string(res.body))
		res.json(t, &p)
		assert.LessOrEqual(t, len(p.Entries), 4)
		got = append(got, p.Entries...)
		assert.Equal(t, p.NextCursor != "", p.HasMore)
		if !p.HasMore {
			break
		}
		cursor = p.NextCursor
	}
	assert.Equal(t, whole.Entries, got, "every entry once, in order")

	for _, q := range []string{"limit=0", "limit=501", "cursor=bogus", "cursor=e30"} {
		res := auditor.get("/v1/tickets/T-0/audit?" + q)
		require.Equal(t, http.StatusBadRequest, res.status, q)
		assert.Equal(t, "validation", res.problem(t).Code, q)
	}
}

// alwaysBusy is a store on which every append loses the race.
type alwaysBusy struct{ eventstore.Store }

func (alwaysBusy) Append(context.Context, string, eventstore.ExpectedRevision, []eventstore.EventData) (eventstore.AppendResult, error) {
	return eventstore.AppendResult{}, eventstore.ErrConcurrency
}

// TestTooManyConflictsSaysWhenToRetry: a command that lost every retry is
// 409 too_many_conflicts with Retry-After, and records nothing.
func TestTooManyConflictsSaysWhenToRetry(t *testing.T) {
	t.Parallel()
	l := newLedger(t, options{cfg: func(c *httpapi.Config) {
		c.Handler = commands.NewHandler(alwaysBusy{c.Store}, commands.WithClock(c.Now))
	}})
	res := l.as("buyer:b-1").command("T-1", "open_ticket", "o-1", openData("m-1"))
	require.Equal(t, http.StatusConflict, res.status, string(res.body))
	assert.Equal(t, "too_many_conflicts", res.problem(t).Code)
	after, err := strconv.Atoi(res.header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After is a number of seconds")
	assert.Positive(t, after)
	assert.Equal(t, http.StatusNotFound, l.as("auditor:au-1").get("/v1/tickets/T-1").status, "nothing was recorded")

	// Other refusals carry no Retry-After: retrying them unchanged is futile.
	res = l.as("buyer:b-1").command("T-1", "post_message", "p-1", map[string]any{"text": "hi"})
	assert.Equal(t, http.StatusNotFound, res.status)
	assert.Empty(t, res.header.Get("Retry-After"))
}
