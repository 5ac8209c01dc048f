package commands_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/postgres"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// backend opens (and, called again, reopens) one kind of event store.
type backend struct {
	name string
	open func(t *testing.T) eventstore.Store // the same ledger every call
}

// backends are SQLite and, through internal/testenv, PostgreSQL.
func backends() []backend {
	return []backend{
		{"sqlite", func() func(t *testing.T) eventstore.Store {
			var path string
			return func(t *testing.T) eventstore.Store {
				if path == "" {
					path = filepath.Join(t.TempDir(), "ledger.db")
				}
				store, err := sqlite.Open(context.Background(), path, sqlite.Config{})
				require.NoError(t, err)
				return store
			}
		}()},
		{"postgres", func() func(t *testing.T) eventstore.Store {
			var url string
			return func(t *testing.T) eventstore.Store {
				if url == "" {
					url, _ = testenv.PostgresSchema(t)
				}
				store, err := postgres.Open(context.Background(), url, postgres.Config{})
				require.NoError(t, err)
				return store
			}
		}()},
	}
}

// onBackends runs test once per backend, each with its own ledger.
func onBackends(t *testing.T, test func(t *testing.T, open func(t *testing.T) eventstore.Store)) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			test(t, b.open)
		})
	}
}

func TestFingerprintIsCanonical(t *testing.T) {
	t.Parallel()
	decode := func(name, data string) domain.Command {
		cmd, err := commands.DecodeCommand(name, json.RawMessage(data))
		require.NoError(t, err)
		return cmd
	}
	fp := func(cmd domain.Command) string {
		s, err := commands.Fingerprint(cmd)
		require.NoError(t, err)
		return s
	}
	base := fp(decode("post_message", `{"text":"hi"}`))
	assert.Regexp(t, `^post_message:[0-9a-f]{64}$`, base)

	same := []struct{ name, a, b string }{
		{"whitespace", `{"text":"hi"}`, " {\n \"text\" : \"hi\" } "},
		{"absent, null and empty data", ``, `null`},
		{"empty object is absent", `{}`, ``},
		{"escapes", `{"text":"\u0068i"}`, `{"text":"hi"}`},
	}
	for _, tc := range same {
		name := "post_message"
		if strings.HasPrefix(tc.name, "absent") || strings.HasPrefix(tc.name, "empty") {
			name = "withdraw"
		}
		assert.Equal(t, fp(decode(name, tc.a)), fp(decode(name, tc.b)), tc.name)
	}
	order := fp(decode("make_offer", `{"kind":"partial_refund","amount":5,"note":"n"}`))
	assert.Equal(t, order, fp(decode("make_offer", `{"note":"n","amount":5,"kind":"partial_refund"}`)), "member order")

	delivered := time.Date(2026, 10, 30, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	open := openReturn("T-1")
	open.DeliveredAt = &delivered
	utc := openReturn("T-1")
	inUTC := delivered.UTC()
	utc.DeliveredAt = &inUTC
	assert.Equal(t, fp(utc), fp(open), "a time's zone offset")
	assert.Equal(t, "CST", open.DeliveredAt.Location().String(), "the caller's command is not changed")

	different := []domain.Command{
		domain.PostMessage{Text: "hi "}, domain.PostMessage{Text: "Hi"},
		domain.Withdraw{Note: "hi"}, domain.RequestIntervention{Reason: "hi"},
	}
	for _, cmd := range different {
		assert.NotEqual(t, base, fp(cmd), "%#v", cmd)
	}
	other := openReturn("T-1")
	other.AmountPaid++
	assert.NotEqual(t, fp(utc), fp(other))
}

// TestIdempotencyRecord holds the idempotency record to its contract:
// keyed by (ticket, principal, key), it remembers the request's fingerprint
// in the ledger, replays the first answer to the same request, refuses the
// same key for another request, and never matches another principal's key.
func TestIdempotencyRecord(t *testing.T) {
	onBackends(t, idempotencyRecord)
}

func idempotencyRecord(t *testing.T, openStore func(t *testing.T) eventstore.Store) {
	ctx := context.Background()
	store := openStore(t)
	clock := newClock(now)
	h := commands.NewHandler(store, commands.WithClock(clock.now))
	handle := func(h *commands.Handler, actor events.Actor, key string, cmd domain.Command) (commands.Result, error) {
		return h.Handle(ctx, commands.Request{CommandID: key, TicketID: "T-1", Actor: actor, Command: cmd.CommandName()}, cmd)
	}

	first, err := handle(h, buyer, "k-1", domain.PostMessage{Text: "where is my refund?"})
	require.ErrorIs(t, err, domain.ErrTicketNotFound, "a refused command records nothing, so its key stays free")
	opened, err := handle(h, buyer, "k-open", openReturn("T-1"))
	require.NoError(t, err)
	first, err = handle(h, buyer, "k-1", domain.PostMessage{Text: "where is my refund?"})
	require.NoError(t, err)
	wantFP, err := commands.Fingerprint(domain.PostMessage{Text: "where is my refund?"})
	require.NoError(t, err)
	require.Len(t, first.Events, 1)
	assert.Equal(t, wantFP, first.Events[0].CommandFingerprint, "the fingerprint is recorded with the events")
	_, err = handle(h, merchant, "k-m", domain.Reject{Reason: "used"})
	require.NoError(t, err)
	headBefore := head(t, store)

	// Same principal, same request, later: the first answer.
	again, err := handle(h, buyer, "k-1", domain.PostMessage{Text: "where is my refund?"})
	require.NoError(t, err)
	assert.True(t, again.Duplicate)
	assert.Equal(t, first.Events, again.Events)
	assert.Equal(t, first.Revision, again.Revision, "the revision of the first answer, not today's")
	assert.Equal(t, first.Ticket, again.Ticket, "the ticket as it stood then")
	assert.Equal(t, domain.StatusAwaitingMerchant, again.Ticket.Status)

	// Same principal, same key, another request: refused, nothing written.
	for _, cmd := range []domain.Command{domain.PostMessage{Text: "where is it?"}, domain.Withdraw{Note: "where is my refund?"}} {
		_, err = handle(h, buyer, "k-1", cmd)
		require.ErrorIs(t, err, commands.ErrIdempotencyKeyReused, "%#v", cmd)
		assert.Equal(t, commands.Classification{Kind: commands.KindRefused, Code: "idempotency_key_reused"}, commands.Classify(err))
	}
	_, err = handle(h, buyer, "k-open", openReturn("T-1"))
	require.NoError(t, err, "opening again with the open's own key is its replay")
	assert.Equal(t, headBefore, head(t, store))

	// Another principal's key never matches: the merchant's command with
	// the buyer's key is decided as a new one.
	res, err := handle(h, merchant, "k-1", domain.PostMessage{Text: "where is my refund?"})
	require.NoError(t, err)
	assert.False(t, res.Duplicate)
	assert.Equal(t, merchant, res.Events[0].Actor)
	assert.Equal(t, headBefore+1, head(t, store))

	// The record lives in the ledger: a new handler on the reopened store
	// knows it.
	require.NoError(t, store.Close())
	store = openStore(t)
	defer store.Close()
	h = commands.NewHandler(store, commands.WithClock(clock.now))
	again, err = handle(h, buyer, "k-1", domain.PostMessage{Text: "where is my refund?"})
	require.NoError(t, err)
	assert.True(t, again.Duplicate)
	assert.Equal(t, first.Events[0].Hash, again.Events[0].Hash)
	_, err = handle(h, buyer, "k-1", domain.PostMessage{Text: "changed"})
	require.ErrorIs(t, err, commands.ErrIdempotencyKeyReused)
	again, err = handle(h, buyer, "k-open", openReturn("T-1"))
	require.NoError(t, err)
	assert.Equal(t, opened.Events, again.Events)
}

// TestLegacyEventsWithoutFingerprintReplay: events recorded before
// fingerprints existed carry none; their key, from their principal, is a
// replay as it always was — and still never another principal's.
func TestLegacyEventsWithoutFingerprintReplay(t *testing.T) {
	t.Parallel()
	h, store, _ := newClockedHandler(t)
	ctx := context.Background()
	appendLegacy(t, store, buyer, "legacy-open", now, openReturn("T-1"))

	res, err := h.Handle(ctx, commands.Request{CommandID: "legacy-open", TicketID: "T-1", Actor: buyer, Command: "open_ticket"}, openReturn("T-1"))
	require.NoError(t, err)
	assert.True(t, res.Duplicate)
	assert.Empty(t, res.Events[0].CommandFingerprint)

	res, err = h.Handle(ctx, commands.Request{CommandID: "legacy-open", TicketID: "T-1", Actor: merchant, Command: "post_message"}, domain.PostMessage{Text: "hello"})
	require.NoError(t, err)
	assert.False(t, res.Duplicate)
}

// TestBorrowedExpiryIDDoesNotStopTheExpiry is issue 11, finding 2, below the
// API: even in a ledger where a merchant's message already carries its
// merchant_response expiry id (recorded before clients were kept out of the
// system namespace), the expiry still fires, because ids are scoped to their
// principal.
func TestBorrowedExpiryIDDoesNotStopTheExpiry(t *testing.T) {
	onBackends(t, borrowedExpiryID)
}

func borrowedExpiryID(t *testing.T, openStore func(t *testing.T) eventstore.Store) {
	store := openStore(t)
	t.Cleanup(func() { _ = store.Close() })
	clock := newClock(now)
	h := commands.NewHandler(store, commands.WithClock(clock.now))
	ctx := context.Background()
	opened, err := h.Handle(ctx, commands.Request{CommandID: "open", TicketID: "T-1", Actor: buyer, Command: "open_ticket"}, openReturn("T-1"))
	require.NoError(t, err)
	kind, due, ok := opened.Ticket.NextDeadline()
	require.True(t, ok)
	expiryID := commands.ExpiryCommandID("T-1", kind, due)

	// A client may no longer send it.
	_, err = h.Handle(ctx, commands.Request{CommandID: expiryID, TicketID: "T-1", Actor: merchant, Command: "post_message"}, domain.PostMessage{Text: "busy"})
	var verr *commands.ValidationError
	require.ErrorAs(t, err, &verr)
	assert.Equal(t, "command_id", verr.Field)

	// One that got in before is harmless.
	_, history, err := commands.LoadTicket(ctx, store, "T-1")
	require.NoError(t, err)
	appendAfter(t, store, history, merchant, expiryID, now.Add(time.Hour), events.MessagePosted{Party: events.RoleMerchant, Text: "busy"})

	clock.set(due.Add(time.Minute))
	res, err := h.Handle(ctx, commands.Request{CommandID: expiryID, TicketID: "T-1", Actor: events.SystemActor(), Command: "expire_deadline"},
		domain.ExpireDeadline{Deadline: kind})
	require.NoError(t, err)
	assert.False(t, res.Duplicate, "the merchant's id is not the system's")
	assert.Equal(t, events.TypeDeadlineExpired, res.Events[0].Type)
	assert.Equal(t, domain.StatusAwaitingReturn, res.Ticket.Status, "auto-approved")
}

// appendLegacy records cmd's events as a release before fingerprints did.
func appendLegacy(t *testing.T, store eventstore.Store, actor events.Actor, key string, at time.Time, cmd domain.Command) {
	t.Helper()
	ticket, history, err := commands.LoadTicket(context.Background(), store, "T-1")
	require.NoError(t, err)
	payloads, err := domain.Decide(ticket, actor, cmd, at, commands.NewHandler(store).Policy())
	require.NoError(t, err)
	appendAfter(t, store, history, actor, key, at, payloads...)
}

// appendAfter appends payloads to T-1 directly, without a fingerprint.
func appendAfter(t *testing.T, store eventstore.Store, history []events.Envelope, actor events.Actor, key string, at time.Time, payloads ...events.Payload) {
	t.Helper()
	var last *events.Envelope
	expected := eventstore.NoStream()
	if n := len(history); n > 0 {
		last = &history[n-1]
		expected = eventstore.Exact(last.Revision)
	}
	cause := events.Cause{OccurredAt: at, Actor: actor, CommandID: key, CorrelationID: "T-1"}
	sealed, wire, err := events.Record(last, events.StreamFor("T-1"), cause, payloads, events.NewV7)
	require.NoError(t, err)
	data := make([]eventstore.EventData, len(sealed))
	for i, env := range sealed {
		data[i] = eventstore.EventData{ID: env.ID, Type: env.Type, Revision: env.Revision, Data: wire[i]}
	}
	_, err = store.Append(context.Background(), events.StreamFor("T-1"), expected, data)
	require.NoError(t, err)
}
