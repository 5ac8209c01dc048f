package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/events"
)

// onBothBackends runs a regression test on SQLite and on PostgreSQL.
func onBothBackends(t *testing.T, opt options, test func(t *testing.T, l *ledger)) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); test(t, newLedger(t, opt)) })
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		pg := opt
		pg.postgres = true
		test(t, newLedger(t, pg))
	})
}

// TestAnotherPrincipalsKeyNeverMatches is issue 11, finding 1: buyer b-2
// sending b-1's Idempotency-Key on b-1's ticket got b-1's events and the
// whole ticket; a merchant reusing b-1's key got b-1's answer; reusing your
// own key for another command answered "duplicate". A key is scoped to the
// principal who sent it: another principal's command is decided as a new
// one — refused by authorization as usual, or recorded; the same principal
// gets its first answer back only for the same request.
func TestAnotherPrincipalsKeyNeverMatches(t *testing.T) {
	onBothBackends(t, options{}, func(t *testing.T, l *ledger) {
		first := l.as("buyer:b-1").ok("T-1", "open_ticket", "open-T-1", openData("m-1"))
		head := l.head()

		// A stranger replaying the owner's key learns nothing: 404, as for
		// a ticket that does not exist, and no events.
		res := l.as("buyer:b-2").command("T-1", "open_ticket", "open-T-1", openData("m-1"))
		assert.Equal(t, http.StatusUnprocessableEntity, res.status, "the id is taken: %s", res.body)
		assert.Equal(t, "ticket_exists", res.problem(t).Code)
		assert.NotContains(t, string(res.body), first.Ticket.OrderID)
		res = l.as("buyer:b-2").command("T-1", "post_message", "open-T-1", map[string]any{"text": "hi"})
		assert.Equal(t, http.StatusNotFound, res.status, string(res.body))
		assert.Equal(t, "ticket_not_found", res.problem(t).Code)
		assert.NotContains(t, string(res.body), "b-1")
		assert.Equal(t, head, l.head())

		// The merchant of the ticket reusing the buyer's key is decided
		// afresh: its message is recorded, under its own name.
		res = l.as("merchant:m-1").command("T-1", "post_message", "open-T-1", map[string]any{"text": "on it"})
		require.Equal(t, http.StatusCreated, res.status, string(res.body))
		var out httpapi.CommandResponse
		res.json(t, &out)
		assert.False(t, out.Duplicate)
		assert.Empty(t, res.header.Get("Idempotent-Replayed"))
		assert.Equal(t, []string{events.TypeMessagePosted}, eventTypes(t, out.Events))
		assert.Equal(t, head+1, l.head())

		// The owner's own replay still answers with its first answer.
		res = l.as("buyer:b-1").command("T-1", "open_ticket", "open-T-1", openData("m-1"))
		require.Equal(t, http.StatusCreated, res.status, string(res.body))
		var again httpapi.CommandResponse
		res.json(t, &again)
		assert.True(t, again.Duplicate)
		assert.Equal(t, "true", res.header.Get("Idempotent-Replayed"))
		assert.Equal(t, first.Events, again.Events)
		assert.Equal(t, first.Revision, again.Revision, "the first answer, not today's revision")
		assert.Equal(t, first.Ticket, again.Ticket)
		assert.Equal(t, `"0"`, res.header.Get("ETag"))
		assert.Equal(t, head+1, l.head())

		// The owner reusing its key for another command is neither a
		// replay nor a new command: 422, nothing written.
		res = l.as("buyer:b-1").command("T-1", "post_message", "open-T-1", map[string]any{"text": "hi"})
		assert.Equal(t, http.StatusUnprocessableEntity, res.status, string(res.body))
		assert.Equal(t, "idempotency_key_reused", res.problem(t).Code)
		assert.Empty(t, res.header.Get("Idempotent-Replayed"))
		assert.Equal(t, head+1, l.head())
	})
}

// TestClientsCannotReachTheSystemNamespace is issue 11, finding 2: a
// merchant posting a message with its own merchant_response expiry id as
// Idempotency-Key kept the 72 h auto-approval from ever firing. Ids in the
// system namespace are refused (400, naming command_id), and the
// auto-approval fires on time.
func TestClientsCannotReachTheSystemNamespace(t *testing.T) {
	onBothBackends(t, options{scheduler: true}, func(t *testing.T, l *ledger) {
		open := l.as("buyer:b-1").ok("T-1", "open_ticket", "open-T-1", openData("m-1"))
		require.Len(t, open.Ticket.Deadlines, 1)
		due := open.Ticket.Deadlines[0]
		require.Equal(t, events.DeadlineMerchantResponse, due.Kind)
		expiryID := commands.ExpiryCommandID("T-1", due.Kind, due.DueAt)
		head := l.head()

		for _, key := range []string{expiryID, commands.SystemCommandIDPrefix + "anything"} {
			res := l.as("merchant:m-1").command("T-1", "post_message", key, map[string]any{"text": "busy"})
			require.Equal(t, http.StatusBadRequest, res.status, string(res.body))
			p := res.problem(t)
			assert.Equal(t, "validation", p.Code)
			assert.Equal(t, "command_id", p.Field)
		}
		assert.Equal(t, head, l.head(), "nothing recorded")

		l.clock.Set(due.DueAt.Add(time.Second))
		v := l.waitStatus("T-1", "closed")
		assert.Equal(t, "refunded", string(v.Resolution), "the silent merchant's request was auto-approved")
	})
}

// TestRefusedCommandFiresNoDeadline is issue 11, finding 3: an auditor's
// POST was answered 403, yet the overdue deadlines were fired and recorded
// first. Authorization comes first: nothing is recorded, and the deadline
// is still there for the scheduler (or a party's command) to fire.
func TestRefusedCommandFiresNoDeadline(t *testing.T) {
	onBothBackends(t, options{}, func(t *testing.T, l *ledger) {
		ret := openData("m-1")
		ret["kind"], ret["delivered_at"] = "return_refund", t0.Add(-24*time.Hour)
		l.as("buyer:b-1").ok("T-1", "open_ticket", "open-T-1", ret)
		// 4 days: merchant_response (72 h) is overdue; the return window its
		// auto-approval starts counts from that due time and is still open.
		l.clock.Advance(4 * 24 * time.Hour)
		head := l.head()
		for _, who := range []string{"auditor:au-1", "buyer:b-2", "merchant:m-2"} {
			res := l.as(who).command("T-1", "post_message", "late-"+who, map[string]any{"text": "hello"})
			assert.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, res.status, "%s: %s", who, res.body)
		}
		assert.Equal(t, head, l.head(), "a refused command records nothing, not even an overdue expiry")

		// The buyer's own message, accepted, records the overdue expiry
		// with it: the response holds the message's own events.
		out := l.as("buyer:b-1").ok("T-1", "post_message", "late-b-1", map[string]any{"text": "hello"})
		assert.Equal(t, []string{events.TypeMessagePosted}, eventTypes(t, out.Events))
		assert.Equal(t, head+3, l.head(), "the expiry (expired, agreed) and the message")
	})
}

// TestNonPartyIfMatchIs404 is issue 11, finding 6 (If-Match): a non-party's
// If-Match on someone else's ticket answered 412 with the real revision.
// Authorization comes before the revision check: 404, like a missing ticket,
// with no ETag.
func TestNonPartyIfMatchIs404(t *testing.T) {
	onBothBackends(t, options{}, func(t *testing.T, l *ledger) {
		l.as("buyer:b-1").ok("T-1", "open_ticket", "open-T-1", openData("m-1"))
		for i, ifMatch := range []string{`"0"`, `"7"`} {
			res := l.as("merchant:m-2").command("T-1", "reject", fmt.Sprintf("r-%d", i), map[string]any{"reason": "no"}, "If-Match", ifMatch)
			assert.Equal(t, http.StatusNotFound, res.status, string(res.body))
			assert.Equal(t, "ticket_not_found", res.problem(t).Code)
			assert.Empty(t, res.header.Get("ETag"))
			assert.NotContains(t, string(res.body), "revision")
		}
		// The party itself still gets 412 for a stale revision.
		res := l.as("merchant:m-1").command("T-1", "reject", "r-stale", map[string]any{"reason": "no"}, "If-Match", `"7"`)
		assert.Equal(t, http.StatusPreconditionFailed, res.status, string(res.body))
	})
}
