package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

var now = time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)

func newHandler(t *testing.T) (*commands.Handler, eventstore.Store) {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ledger.db"), sqlite.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	return commands.NewHandler(store, commands.WithClock(func() time.Time { return now })), store
}

// mustHandle parses and handles one command line that must succeed.
func mustHandle(t *testing.T, h *commands.Handler, line string) commands.Result {
	t.Helper()
	req, cmd := parse(t, line)
	res, err := h.Handle(context.Background(), req, cmd)
	require.NoError(t, err)
	return res
}

func parse(t *testing.T, line string) (commands.Request, domain.Command) {
	t.Helper()
	req, cmd, err := commands.ParseRequest([]byte(line), commands.DefaultLimits())
	require.NoError(t, err)
	return req, cmd
}

const openLine = `{"command_id":"c-open","ticket_id":"T-1","actor":{"role":"buyer","id":"b-1"},"command":"open_ticket",
 "data":{"order_id":"O-1","merchant_id":"m-1","kind":"refund_only","reason":"logistics_delay","currency":"CNY","amount_paid":5000,"requested":5000,"order_shipped":true}}`

func TestHandleRecordsAndIsIdempotent(t *testing.T) {
	t.Parallel()
	h, store := newHandler(t)
	ctx := context.Background()
	req, cmd := parse(t, openLine)

	first, err := h.Handle(ctx, req, cmd)
	require.NoError(t, err)
	require.Len(t, first.Events, 1)
	assert.False(t, first.Duplicate)
	assert.Equal(t, domain.StatusAwaitingMerchant, first.Ticket.Status)

	again, err := h.Handle(ctx, req, cmd)
	require.NoError(t, err)
	assert.True(t, again.Duplicate, "the same command id is recorded once")
	assert.Equal(t, first.Events[0].ID, again.Events[0].ID, "and answers with the same result")

	recs, err := store.ReadStream(ctx, events.StreamFor("T-1"), 0, 0)
	require.NoError(t, err)
	assert.Len(t, recs, 1)

	req2, cmd2 := parse(t, `{"command_id":"c-agree","ticket_id":"T-1","actor":{"role":"merchant","id":"m-1"},"command":"agree"}`)
	res, err := h.Handle(ctx, req2, cmd2)
	require.NoError(t, err)
	assert.Equal(t, []string{events.TypeMerchantAgreed, events.TypeRefundIssued}, []string{res.Events[0].Type, res.Events[1].Type})
	assert.Equal(t, uint64(2), res.Revision)
	assert.Equal(t, first.Events[0].Hash, res.Events[0].PrevHash, "hash chained across commands")

	// Wire is each event's bytes exactly as stored; a duplicate has none.
	recs, err = store.ReadStream(ctx, events.StreamFor("T-1"), 1, 0)
	require.NoError(t, err)
	require.Len(t, res.Wire, 2)
	for i, rec := range recs {
		assert.Equal(t, rec.Data, res.Wire[i], "event %d", i)
	}
	assert.Nil(t, again.Wire)

	ticket, history, err := commands.LoadTicket(ctx, store, "T-1")
	require.NoError(t, err)
	assert.Len(t, history, 3)
	assert.Equal(t, domain.ResolutionRefunded, ticket.Resolution)
	assert.Equal(t, int64(5000), ticket.Refunded)
}

func TestDomainRefusalAppendsNothing(t *testing.T) {
	t.Parallel()
	h, store := newHandler(t)
	ctx := context.Background()
	mustHandle(t, h, openLine)

	req2, cmd2 := parse(t, `{"command_id":"c-x","ticket_id":"T-1","actor":{"role":"merchant","id":"m-9"},"command":"reject","data":{"reason":"no"}}`)
	_, err := h.Handle(ctx, req2, cmd2)
	require.ErrorIs(t, err, domain.ErrNotYourTicket)
	recs, err := store.ReadStream(ctx, events.StreamFor("T-1"), 0, 0)
	require.NoError(t, err)
	assert.Len(t, recs, 1, "a refused command records nothing")
}

func TestExpectedRevisionIsHonoured(t *testing.T) {
	t.Parallel()
	h, _ := newHandler(t)
	ctx := context.Background()
	mustHandle(t, h, openLine)
	req2, cmd2 := parse(t, `{"command_id":"c-m","ticket_id":"T-1","actor":{"role":"buyer","id":"b-1"},"command":"post_message","data":{"text":"hi"},"expected_revision":5}`)
	_, err := h.Handle(ctx, req2, cmd2)
	require.ErrorIs(t, err, commands.ErrRevisionMismatch)
	zero := uint64(0)
	req2.ExpectedRevision = &zero
	_, err = h.Handle(ctx, req2, cmd2)
	require.NoError(t, err)
}

func TestClientTimeNeedsOptIn(t *testing.T) {
	t.Parallel()
	h, _ := newHandler(t)
	req, cmd := parse(t, openLine)
	at := now.Add(time.Hour)
	req.At = &at
	_, err := h.Handle(context.Background(), req, cmd)
	require.ErrorIs(t, err, commands.ErrValidation)
}

// TestConcurrentCommandsOnOneTicket races many writers on one ticket: each
// command is decided against the latest state, none is lost, and the chain holds.
func TestConcurrentCommandsOnOneTicket(t *testing.T) {
	t.Parallel()
	h, store := newHandler(t)
	ctx := context.Background()
	mustHandle(t, h, openLine)

	const writers = 16
	var wg sync.WaitGroup
	errs := make(chan error, writers*2)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			line := fmt.Sprintf(`{"command_id":"msg-%d","ticket_id":"T-1","actor":{"role":"buyer","id":"b-1"},"command":"post_message","data":{"text":"message %d"}}`, i, i)
			r, c, err := commands.ParseRequest([]byte(line), commands.DefaultLimits())
			if err == nil {
				_, err = h.Handle(ctx, r, c)
			}
			if err == nil { // a duplicate delivery of the same command
				_, err = h.Handle(ctx, r, c)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	ticket, history, err := commands.LoadTicket(ctx, store, "T-1")
	require.NoError(t, err)
	assert.Len(t, history, 1+writers)
	assert.Equal(t, writers, ticket.Messages)
}

func TestParseRequestRejectsBadInput(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 9<<10)
	manyItems := make([]string, 65)
	for i := range manyItems {
		manyItems[i] = fmt.Sprintf(`{"id":"e%d","kind":"photo","description":"d","sha256":"%s","uri":"u"}`, i, strings.Repeat("a", 64))
	}
	tests := []struct {
		name, line, field string
	}{
		{"not json", `{"command_id":`, "request"},
		{"unknown command", `{"command_id":"c","ticket_id":"T","actor":{"role":"buyer","id":"b"},"command":"teleport"}`, "command"},
		{"missing command", `{"command_id":"c","ticket_id":"T","actor":{"role":"buyer","id":"b"}}`, "command"},
		{"missing command id", `{"ticket_id":"T","actor":{"role":"buyer","id":"b"},"command":"withdraw"}`, "command_id"},
		{"missing ticket id", `{"command_id":"c","actor":{"role":"buyer","id":"b"},"command":"withdraw"}`, "ticket_id"},
		{"bad role", `{"command_id":"c","ticket_id":"T","actor":{"role":"king","id":"b"},"command":"withdraw"}`, "actor.role"},
		{"unknown envelope field", `{"command_id":"c","ticket_id":"T","actor":{"role":"buyer","id":"b"},"command":"withdraw","x":1}`, "x"},
		{"unknown data field", `{"command_id":"c","ticket_id":"T","actor":{"role":"buyer","id":"b"},"command":"withdraw","data":{"notes":"x"}}`, "data.notes"},
		{"id with spaces", `{"command_id":"c 1","ticket_id":"T","actor":{"role":"buyer","id":"b"},"command":"withdraw"}`, "command_id"},
		{"oversize text", `{"command_id":"c","ticket_id":"T","actor":{"role":"buyer","id":"b"},"command":"post_message","data":{"text":"` + big + `"}}`, "data.text"},
		{"too many items", `{"command_id":"c","ticket_id":"T","actor":{"role":"buyer","id":"b"},"command":"submit_evidence","data":{"items":[` + strings.Join(manyItems, ",") + `]}}`, "data.items"},
		{"negative amount", `{"command_id":"c","ticket_id":"T","actor":{"role":"merchant","id":"m"},"command":"issue_refund","data":{"amount":-5}}`, "data.amount"},
		{"float amount", `{"command_id":"c","ticket_id":"T","actor":{"role":"merchant","id":"m"},"command":"issue_refund","data":{"amount":12.5}}`, "data"},
		{"trailing data", `{"command_id":"c","ticket_id":"T","actor":{"role":"buyer","id":"b"},"command":"withdraw"} {}`, "request"},
		// encoding/json's Decoder.More sees no further value before a
		// stray closing bracket, so these passed until session 6.
		{"trailing bracket", `{"command_id":"c","ticket_id":"T","actor":{"role":"buyer","id":"b"},"command":"withdraw"}]`, "request"},
		{"trailing brace", `{"command_id":"c","ticket_id":"T","actor":{"role":"buyer","id":"b"},"command":"withdraw"} }`, "request"},
		{"trailing word", `{"command_id":"c","ticket_id":"T","actor":{"role":"buyer","id":"b"},"command":"withdraw"}x`, "request"},
		{"ticket ids disagree", `{"command_id":"c","ticket_id":"T","actor":{"role":"buyer","id":"b"},"command":"open_ticket","data":{"ticket_id":"U"}}`, "data.ticket_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := commands.ParseRequest([]byte(tc.line), commands.DefaultLimits())
			var verr *commands.ValidationError
			require.True(t, errors.As(err, &verr), "want a ValidationError, got %v", err)
			assert.Equal(t, tc.field, verr.Field, verr.Error())
			assert.ErrorIs(t, err, commands.ErrValidation)
		})
	}
}

func TestEveryCommandNameDecodes(t *testing.T) {
	t.Parallel()
	require.Len(t, commands.Names(), len(domain.Permissions()))
	for _, name := range commands.Names() {
		cmd, err := commands.DecodeCommand(name, json.RawMessage(`{}`))
		require.NoError(t, err)
		assert.Equal(t, name, cmd.CommandName())
	}
}

// TestOverdueDeadlinesFireFirst: a merchant answering after its 72 hours is
// too late — its rejection is decided against the auto-approval the
// scheduler would have fired, and refused; and a refused command records
// nothing, not even that expiry. The scheduler records it afterwards, and
// firing it again records nothing more.
func TestOverdueDeadlinesFireFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ledger.db"), sqlite.Config{})
	require.NoError(t, err)
	defer store.Close()
	h := commands.NewHandler(store, commands.WithClientTime())
	at := func(req commands.Request, d time.Duration) commands.Request {
		ts := now.Add(d)
		req.At = &ts
		return req
	}
	req, cmd := parse(t, openLine)
	_, err = h.Handle(ctx, at(req, 0), cmd)
	require.NoError(t, err)

	late, lateCmd := parse(t, `{"command_id":"c-late","ticket_id":"T-1","actor":{"role":"merchant","id":"m-1"},"command":"reject","data":{"reason":"too late"}}`)
	_, err = h.Handle(ctx, at(late, 72*time.Hour+5*time.Minute), lateCmd)
	require.ErrorIs(t, err, domain.ErrTicketClosed, "decided against the auto-approval and refund the deadline caused")
	_, history, err := commands.LoadTicket(ctx, store, "T-1")
	require.NoError(t, err)
	require.Len(t, history, 1, "refused: nothing recorded, not even the expiry")

	id := commands.ExpiryCommandID("T-1", events.DeadlineMerchantResponse, now.Add(72*time.Hour))
	sched := commands.Request{CommandID: id, TicketID: "T-1", Actor: events.SystemActor(), Command: "expire_deadline"}
	res, err := h.Handle(ctx, at(sched, 73*time.Hour), domain.ExpireDeadline{Deadline: events.DeadlineMerchantResponse})
	require.NoError(t, err)
	assert.False(t, res.Duplicate)
	assert.Empty(t, res.Fired, "the deadline the scheduler fires is its own command")
	ticket, history, err := commands.LoadTicket(ctx, store, "T-1")
	require.NoError(t, err)
	assert.Equal(t, domain.ResolutionRefunded, ticket.Resolution)
	require.Len(t, history, 4)
	fired := history[1].Payload.(events.DeadlineExpired)
	assert.True(t, fired.MerchantPenalised)
	assert.Equal(t, id, history[1].CommandID)

	again, err := h.Handle(ctx, at(sched, 74*time.Hour), domain.ExpireDeadline{Deadline: events.DeadlineMerchantResponse})
	require.NoError(t, err)
	assert.True(t, again.Duplicate)
	_, history, err = commands.LoadTicket(ctx, store, "T-1")
	require.NoError(t, err)
	assert.Len(t, history, 4)
}
