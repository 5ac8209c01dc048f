package commands_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/commands/scheduler"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/clock"
	"github.com/disputes-ledger/disputes/projections"
)

// responseDue is when the merchant_response deadline of a ticket opened at
// now falls due.
var responseDue = now.Add(72 * time.Hour)

// countingStore counts appends and the concurrency conflicts they met, and
// can run a hook once, just before the first append after it is armed: a
// writer that gets in between a command's load and its append.
type countingStore struct {
	eventstore.Store
	appends, conflicts atomic.Int64
	armed              atomic.Bool
	between            func()
}

func (s *countingStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, data []eventstore.EventData) (eventstore.AppendResult, error) {
	if s.armed.CompareAndSwap(true, false) && s.between != nil {
		s.between()
	}
	res, err := s.Store.Append(ctx, stream, expected, data)
	switch {
	case err == nil:
		s.appends.Add(1)
	case errors.Is(err, eventstore.ErrConcurrency):
		s.conflicts.Add(1)
	}
	return res, err
}

// expiryRequest is the request the scheduler sends to fire a deadline.
func expiryRequest(ticketID string, kind events.DeadlineKind, due time.Time) (commands.Request, domain.Command) {
	return commands.Request{CommandID: commands.ExpiryCommandID(ticketID, kind, due), CorrelationID: ticketID, TicketID: ticketID,
		Actor: events.SystemActor(), Command: domain.ExpireDeadline{}.CommandName()}, domain.ExpireDeadline{Deadline: kind}
}

// countedHandler opens a fresh store, wraps it in a countingStore closed
// when t ends, and returns it with a handler on a settable clock at now.
func countedHandler(t *testing.T, open func(t *testing.T) eventstore.Store) (*countingStore, *ledgerClock, *commands.Handler) {
	t.Helper()
	store := &countingStore{Store: open(t)}
	t.Cleanup(func() { _ = store.Close() })
	clock := newClock(now)
	return store, clock, commands.NewHandler(store, commands.WithClock(clock.now))
}

func openReturnFor(t *testing.T, h *commands.Handler, ticketID string) {
	t.Helper()
	_, err := h.Handle(context.Background(), commands.Request{CommandID: "open", TicketID: ticketID, Actor: buyer, Command: "open_ticket"}, openReturn(ticketID))
	require.NoError(t, err)
}

func lateMessage(ticketID string) (commands.Request, domain.Command) {
	return commands.Request{CommandID: "c-late", TicketID: ticketID, Actor: buyer, Command: "post_message"}, domain.PostMessage{Text: "any news?"}
}

// TestRefusedLateAnswerRecordsNothing: a merchant answering five hours
// after its 72 hours is decided against the auto-approval and refund the
// deadline caused, and refused — and nothing at all is recorded, not even
// that expiry. The scheduler, firing it later still, records it dated at
// its due time.
func TestRefusedLateAnswerRecordsNothing(t *testing.T) {
	onBackends(t, func(t *testing.T, open func(t *testing.T) eventstore.Store) {
		ctx := context.Background()
		store := open(t)
		t.Cleanup(func() { _ = store.Close() })
		clock := clock.NewManualClock(now)
		h := commands.NewHandler(store, commands.WithClock(clock.Now))
		mustHandle(t, h, openLine)
		clock.Set(responseDue.Add(5 * time.Hour))
		before := head(t, store)

		req, cmd := parse(t, `{"command_id":"c-late","ticket_id":"T-1","actor":{"role":"merchant","id":"m-1"},"command":"reject","data":{"reason":"too late"}}`)
		_, err := h.Handle(ctx, req, cmd)
		require.ErrorIs(t, err, domain.ErrTicketClosed, "decided against the auto-approval and refund the deadline caused")
		assert.Equal(t, before, head(t, store), "a refused command records nothing, not even the expiry it was decided against")
		_, err = h.Handle(ctx, req, cmd)
		require.ErrorIs(t, err, domain.ErrTicketClosed, "a retry is decided again, not answered from a record")
		assert.Equal(t, before, head(t, store))

		clock.Set(responseDue.Add(6 * time.Hour))
		raw, err := sql.Open("sqlite", sqlite.RebuildableDSN(filepath.Join(t.TempDir(), "read-models.db")))
		require.NoError(t, err)
		db, err := projections.NewDB(ctx, raw, projections.SQLite)
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		_, err = projections.NewProjector(store, db, []projections.Projection{projections.NewDeadlines(db)}, projections.Options{}).Run(ctx)
		require.NoError(t, err)
		s, err := scheduler.New(scheduler.Config{Deadlines: projections.DeadlineSource(db), Handler: h, Clock: clock, Workers: 1,
			Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		_, err = s.Step(ctx, clock.Now())
		require.NoError(t, err)
		assert.Equal(t, uint64(1), s.Status().Fired)

		got := appendedSince(t, store, before)
		require.Equal(t, []string{events.TypeDeadlineExpired, events.TypeMerchantAgreed, events.TypeRefundIssued}, types(got))
		for _, env := range got {
			assert.Equal(t, events.SystemActor(), env.Actor)
			assert.Equal(t, commands.ExpiryCommandID("T-1", events.DeadlineMerchantResponse, responseDue), env.CommandID)
			assert.Equal(t, responseDue.Add(6*time.Hour), env.OccurredAt, "recorded when the scheduler fired it")
		}
		assert.Equal(t, responseDue, got[0].Payload.(events.DeadlineExpired).DueAt)
		ticket, history, err := commands.LoadTicket(ctx, store, "T-1")
		require.NoError(t, err)
		require.NotNil(t, ticket.ClosedAt)
		assert.Equal(t, responseDue, *ticket.ClosedAt, "refunded at the due time")
		for _, step := range domain.Timeline(history, nil)[1:] {
			assert.Equal(t, responseDue, step.EffectiveAt, "%s takes effect at the due time", step.Event.Type)
		}
	})
}

// TestAcceptedLateCommandAppendsOnce: a buyer's message after the
// merchant_response deadline passed is accepted; the expiry's events (the
// auto-approval under the system's expiry id) and the message go into the
// ledger in one append, with consecutive revisions and an unbroken chain.
// Replays answer with exactly their own events.
func TestAcceptedLateCommandAppendsOnce(t *testing.T) {
	onBackends(t, func(t *testing.T, open func(t *testing.T) eventstore.Store) {
		ctx := context.Background()
		store, clock, h := countedHandler(t, open)
		openReturnFor(t, h, "T-1")
		firing := responseDue.Add(5 * time.Hour)
		clock.set(firing)
		before, appends := head(t, store), store.appends.Load()

		req, cmd := lateMessage("T-1")
		res, err := h.Handle(ctx, req, cmd)
		require.NoError(t, err)
		assert.Equal(t, appends+1, store.appends.Load(), "one append")

		got := appendedSince(t, store, before)
		require.Equal(t, []string{events.TypeDeadlineExpired, events.TypeMerchantAgreed, events.TypeMessagePosted}, types(got))
		_, history, err := commands.LoadTicket(ctx, store, "T-1")
		require.NoError(t, err)
		require.NoError(t, events.VerifyLinks(nil, history))
		for i, env := range got {
			assert.Equal(t, uint64(i+1), env.Revision)
			assert.Equal(t, history[i].Hash, env.PrevHash, "chained to its predecessor")
			assert.Equal(t, firing, env.OccurredAt)
		}
		expiryID := commands.ExpiryCommandID("T-1", events.DeadlineMerchantResponse, responseDue)
		fp, err := commands.Fingerprint(domain.ExpireDeadline{Deadline: events.DeadlineMerchantResponse})
		require.NoError(t, err)
		for _, env := range got[:2] {
			assert.Equal(t, events.SystemActor(), env.Actor)
			assert.Equal(t, expiryID, env.CommandID)
			assert.Equal(t, fp, env.CommandFingerprint, "exactly as the scheduler would record it")
			assert.Equal(t, "T-1", env.CorrelationID)
		}
		assert.Equal(t, buyer, got[2].Actor)
		assert.Equal(t, "c-late", got[2].CommandID)

		assert.Equal(t, ids(got[:2]), ids(res.Fired))
		assert.Equal(t, ids(got[2:]), ids(res.Events), "the command's result holds its own events")
		assert.Equal(t, uint64(3), res.Revision)
		assert.Equal(t, uint64(3), res.Ticket.Revision)

		steps := domain.Timeline(history, nil)
		assert.Equal(t, []time.Time{now, responseDue, responseDue, firing}, effectiveTimes(steps))
		agreed := got[1].Payload.(events.MerchantAgreed)
		require.Len(t, agreed.Deadlines, 1)
		assert.Equal(t, responseDue.Add(7*24*time.Hour), agreed.Deadlines[0].DueAt, "the return window counts from the due time")

		again, err := h.Handle(ctx, req, cmd)
		require.NoError(t, err)
		assert.True(t, again.Duplicate)
		assert.Equal(t, ids(got[2:]), ids(again.Events), "a replay finds exactly the command's own events")
		assert.Empty(t, again.Fired)
		assert.Equal(t, uint64(3), again.Revision)

		sreq, scmd := expiryRequest("T-1", events.DeadlineMerchantResponse, responseDue)
		sched, err := h.Handle(ctx, sreq, scmd)
		require.NoError(t, err)
		assert.True(t, sched.Duplicate, "the scheduler finds the expiry on record")
		assert.Equal(t, ids(got[:2]), ids(sched.Events))
		assert.Equal(t, uint64(2), sched.Revision)
		assert.Equal(t, before+3, head(t, store), "nothing more recorded")
	})
}

// TestSchedulerBetweenLoadAndAppend: the scheduler records the expiry after
// a late command loaded the ticket and before it appended. The command's
// append (expiry and message together) conflicts, is decided again on the
// reloaded stream, and records only the message: the expiry once.
func TestSchedulerBetweenLoadAndAppend(t *testing.T) {
	onBackends(t, func(t *testing.T, open func(t *testing.T) eventstore.Store) {
		ctx := context.Background()
		store, clock, h := countedHandler(t, open)
		openReturnFor(t, h, "T-1")
		clock.set(responseDue.Add(time.Hour))
		var sched commands.Result
		store.between = func() {
			sreq, scmd := expiryRequest("T-1", events.DeadlineMerchantResponse, responseDue)
			var err error
			sched, err = h.Handle(ctx, sreq, scmd)
			assert.NoError(t, err)
		}
		store.armed.Store(true)

		req, cmd := lateMessage("T-1")
		res, err := h.Handle(ctx, req, cmd)
		require.NoError(t, err)
		assert.Equal(t, int64(1), store.conflicts.Load(), "the command lost the race once")
		assert.False(t, sched.Duplicate)
		assert.Empty(t, res.Fired, "the retry found the expiry on record")
		assert.Equal(t, []string{events.TypeMessagePosted}, types(res.Events))

		_, history, err := commands.LoadTicket(ctx, store, "T-1")
		require.NoError(t, err)
		assert.Equal(t, []string{events.TypeRefundRequested, events.TypeDeadlineExpired, events.TypeMerchantAgreed, events.TypeMessagePosted}, types(history))
	})
}

// TestLateCommandRacesScheduler races, on many tickets, a late command and
// the scheduler firing the deadline that command fires too: whoever wins,
// the expiry is recorded exactly once, before the message, and the chain holds.
func TestLateCommandRacesScheduler(t *testing.T) {
	onBackends(t, func(t *testing.T, open func(t *testing.T) eventstore.Store) {
		ctx := context.Background()
		store, clock, h := countedHandler(t, open)
		const tickets = 40
		for i := range tickets {
			openReturnFor(t, h, fmt.Sprintf("T-%d", i))
		}
		clock.set(responseDue.Add(time.Minute))
		firedByMessage := 0
		for i := range tickets {
			id := fmt.Sprintf("T-%d", i)
			var (
				wg          sync.WaitGroup
				start       = make(chan struct{})
				msg, sched  commands.Result
				msgE, schdE error
			)
			wg.Add(2)
			go func() {
				defer wg.Done()
				<-start
				req, cmd := lateMessage(id)
				msg, msgE = h.Handle(ctx, req, cmd)
			}()
			go func() {
				defer wg.Done()
				<-start
				req, cmd := expiryRequest(id, events.DeadlineMerchantResponse, responseDue)
				sched, schdE = h.Handle(ctx, req, cmd)
			}()
			close(start)
			wg.Wait()
			require.NoError(t, msgE, id)
			require.NoError(t, schdE, id)
			if len(msg.Fired) > 0 {
				firedByMessage++
				assert.True(t, sched.Duplicate, "%s: the message recorded the expiry, the scheduler found it", id)
			}

			_, history, err := commands.LoadTicket(ctx, store, id)
			require.NoError(t, err)
			require.NoError(t, events.VerifyLinks(nil, history))
			want := []string{events.TypeRefundRequested, events.TypeDeadlineExpired, events.TypeMerchantAgreed, events.TypeMessagePosted}
			assert.Equal(t, want, types(history), "%s: the expiry once, before the message", id)
		}
		t.Logf("%d of %d expiries recorded with the message; %d conflicts retried", firedByMessage, tickets, store.conflicts.Load())
	})
}

func types(envs []events.Envelope) []string {
	out := make([]string, len(envs))
	for i, env := range envs {
		out[i] = env.Type
	}
	return out
}

func ids(envs []events.Envelope) []string {
	out := make([]string, len(envs))
	for i, env := range envs {
		out[i] = env.ID.String()
	}
	return out
}

// TestIfMatchIsTheStoredRevision: If-Match names the revision a client read
// (the ETag), so it is compared with the stored revision, before the overdue
// expiries are decided in memory; a revision that only the unrecorded
// expiries would reach is a mismatch, and records nothing.
func TestIfMatchIsTheStoredRevision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h, store, clock := newClockedHandler(t)
	openReturnFor(t, h, "T-1")
	clock.set(responseDue.Add(time.Hour))
	before := head(t, store)

	req, cmd := lateMessage("T-1")
	ahead := uint64(2) // where the expiry would leave the ticket
	req.ExpectedRevision = &ahead
	_, err := h.Handle(ctx, req, cmd)
	require.ErrorIs(t, err, commands.ErrRevisionMismatch)
	assert.Equal(t, before, head(t, store), "refused: nothing recorded")

	stored := uint64(0)
	req.ExpectedRevision = &stored
	res, err := h.Handle(ctx, req, cmd)
	require.NoError(t, err)
	assert.Len(t, res.Fired, 2)
	assert.Equal(t, uint64(3), res.Revision)
}
