package scheduler_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
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

// Monday 2026-11-02 10:00 in Shanghai.
var t0 = time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func openStore(t testing.TB) eventstore.Store {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ledger.db"), sqlite.Config{PollInterval: 5 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	return store
}

// readModel is a ledger's open-deadlines read model (projections.Deadlines),
// kept by a projector of its own.
type readModel struct {
	store eventstore.Store
	db    *projections.DB
}

func openReadModel(t testing.TB, store eventstore.Store) *readModel {
	t.Helper()
	raw, err := sql.Open("sqlite", sqlite.RebuildableDSN(filepath.Join(t.TempDir(), "read-models.db")))
	require.NoError(t, err)
	raw.SetMaxOpenConns(2) // one writes, one reads, as the binary opens read models
	db, err := projections.NewDB(context.Background(), raw, projections.SQLite)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return &readModel{store: store, db: db}
}

func (r *readModel) projector(follow bool) *projections.Projector {
	return projections.NewProjector(r.store, r.db, []projections.Projection{projections.NewDeadlines(r.db)},
		projections.Options{Follow: follow, RetryInterval: time.Millisecond})
}

// sync brings the read model up to the head of the log.
func (r *readModel) sync(t testing.TB) {
	t.Helper()
	_, err := r.projector(false).Run(context.Background())
	require.NoError(t, err)
}

// follow keeps the read model following the log until the test ends.
func (r *readModel) follow(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := r.projector(true).Run(ctx); done <- err }()
	t.Cleanup(func() { cancel(); assert.NoError(t, <-done) })
}

// newScheduler returns a scheduler reading rm and firing through h.
func newScheduler(t testing.TB, rm *readModel, h *commands.Handler, c clock.Clock) *scheduler.Scheduler {
	t.Helper()
	s, err := scheduler.New(scheduler.Config{Deadlines: projections.DeadlineSource(rm.db), Handler: h, Clock: c, Logger: quiet, Workers: 4, Poll: 5 * time.Millisecond})
	require.NoError(t, err)
	return s
}

// do runs one command as actor on ticket and requires it to succeed.
func do(t *testing.T, h *commands.Handler, ticket string, actor events.Actor, cmd domain.Command) commands.Result {
	t.Helper()
	req := commands.Request{CommandID: fmt.Sprintf("%s-%s-%d", ticket, cmd.CommandName(), time.Now().UnixNano()),
		TicketID: ticket, Actor: actor, Command: cmd.CommandName()}
	res, err := h.Handle(context.Background(), req, cmd)
	require.NoError(t, err)
	return res
}

func open(kind events.TicketKind) domain.OpenTicket {
	delivered := t0.Add(-48 * time.Hour)
	return domain.OpenTicket{OrderID: "O-1", MerchantID: "m-1", Kind: kind, Reason: events.ReasonQuality,
		Currency: "CNY", AmountPaid: 5000, Requested: 5000, OrderShipped: true, DeliveredAt: &delivered}
}

var (
	buyer    = events.Actor{Role: events.RoleBuyer, ID: "b-1"}
	merchant = events.Actor{Role: events.RoleMerchant, ID: "m-1"}
)

// expiries counts the DeadlineExpired events in the log by command id.
func expiries(t *testing.T, store eventstore.Store) map[string]int {
	t.Helper()
	recs, err := store.ReadAll(context.Background(), 0, 0)
	require.NoError(t, err)
	out := map[string]int{}
	for _, rec := range recs {
		env, err := events.Decode(rec.Data)
		require.NoError(t, err)
		if e, ok := env.Payload.(events.DeadlineExpired); ok {
			ticket := events.TicketOf(env.Stream)
			require.Equal(t, commands.ExpiryCommandID(ticket, e.Deadline, e.DueAt), env.CommandID)
			require.Equal(t, events.SystemActor(), env.Actor)
			out[env.CommandID]++
		}
	}
	return out
}

// TestTwoSchedulersRecordEachExpiryOnce runs two schedulers, each with its
// own handler and its own read model, against one ledger, and moves the
// clock through two rounds of deadlines: every expiry is recorded exactly
// once, and between them the schedulers account for every one.
func TestTwoSchedulersRecordEachExpiryOnce(t *testing.T) {
	t.Parallel()
	store := openStore(t)
	clock := clock.NewManualClock(t0)
	writer := commands.NewHandler(store, commands.WithClock(clock.Now))

	const n = 40
	answered := map[string]bool{}
	for i := range n {
		id := fmt.Sprintf("T-%02d", i)
		kind := events.KindRefundOnly
		if i%2 == 1 {
			kind = events.KindReturnRefund // merchant_response, then return_shipment
		}
		do(t, writer, id, buyer, open(kind))
		if i%5 == 0 { // answered in time: no merchant_response expiry
			do(t, writer, id, merchant, domain.Reject{Reason: "no"})
			answered[id] = true
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var scheds []*scheduler.Scheduler
	var models []*readModel
	for range 2 {
		rm := openReadModel(t, store)
		rm.follow(t)
		models = append(models, rm)
		s := newScheduler(t, rm, commands.NewHandler(store, commands.WithClock(clock.Now)), clock)
		scheds = append(scheds, s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, s.Run(ctx))
		}()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	total := func() scheduler.Status {
		var sum scheduler.Status
		for _, s := range scheds {
			st := s.Status()
			sum.Fired += st.Fired
			sum.Duplicates += st.Duplicates
			sum.Stale += st.Stale
			sum.Refused += st.Refused
			sum.Failed += st.Failed
		}
		return sum
	}

	// Round 1: 72 h pass. Every unanswered ticket's merchant_response fires.
	for _, rm := range models {
		require.Eventually(t, func() bool {
			next, ok, err := projections.NextDeadlineAfter(context.Background(), rm.db, t0)
			return err == nil && ok && next.Equal(t0.Add(72*time.Hour))
		}, 5*time.Second, time.Millisecond, "the read models have the deadlines")
	}
	clock.Advance(72*time.Hour + time.Minute)
	unanswered := n - len(answered)
	require.Eventually(t, func() bool { return total().Fired == uint64(unanswered) }, 10*time.Second, 5*time.Millisecond)

	// Round 2: 7 more days. Auto-approved returns are abandoned; rejected
	// tickets expire for want of escalation.
	clock.Advance(7*24*time.Hour + time.Minute)
	returns := 0
	for i := range n {
		if i%2 == 1 && !answered[fmt.Sprintf("T-%02d", i)] {
			returns++
		}
	}
	want := unanswered + returns + len(answered)
	require.Eventually(t, func() bool { return total().Fired == uint64(want) }, 10*time.Second, 5*time.Millisecond)

	for i := range n {
		ticket, _, err := commands.LoadTicket(context.Background(), store, fmt.Sprintf("T-%02d", i))
		require.NoError(t, err)
		assert.True(t, ticket.Closed(), "ticket %s closed", ticket.ID)
	}
	counts := expiries(t, store)
	assert.Len(t, counts, want)
	for id, c := range counts {
		assert.Equal(t, 1, c, "expiry %s recorded once", id)
	}
	st := total()
	assert.Zero(t, st.Failed)
	t.Logf("fired %d, duplicates %d, stale %d, refused %d", st.Fired, st.Duplicates, st.Stale, st.Refused)

	// Once the read models have caught up, nothing is left to fire and the
	// schedulers remember nothing.
	for i, rm := range models {
		require.Eventually(t, func() bool {
			_, ok, err := projections.NextDeadlineAfter(context.Background(), rm.db, time.Time{})
			return err == nil && !ok
		}, 5*time.Second, time.Millisecond)
		require.Eventually(t, func() bool { return scheds[i].Status().Waiting == 0 }, 5*time.Second, time.Millisecond)
	}
}

// TestSchedulerFollowsNewDeadlines checks that a deadline started after the
// scheduler began is fired when due and not before.
func TestSchedulerFollowsNewDeadlines(t *testing.T) {
	t.Parallel()
	store := openStore(t)
	clock := clock.NewManualClock(t0)
	h := commands.NewHandler(store, commands.WithClock(clock.Now))
	rm := openReadModel(t, store)
	rm.follow(t)
	s := newScheduler(t, rm, h, clock)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	require.Eventually(t, func() bool { return s.Status().Steps > 0 }, 5*time.Second, time.Millisecond)
	do(t, h, "T-1", buyer, open(events.KindRefundOnly))
	require.Eventually(t, func() bool {
		_, ok, err := projections.NextDeadlineAfter(context.Background(), rm.db, t0)
		return err == nil && ok
	}, 5*time.Second, time.Millisecond)

	clock.Advance(71 * time.Hour)
	time.Sleep(20 * time.Millisecond)
	assert.Zero(t, s.Status().Fired, "not due yet")

	clock.Advance(time.Hour)
	require.Eventually(t, func() bool { return s.Status().Fired == 1 }, 5*time.Second, time.Millisecond)
	ticket, _, err := commands.LoadTicket(context.Background(), store, "T-1")
	require.NoError(t, err)
	assert.Equal(t, domain.ResolutionRefunded, ticket.Resolution, "merchant silence approves a refund-only request")
}

func TestNewRequiresParts(t *testing.T) {
	t.Parallel()
	_, err := scheduler.New(scheduler.Config{})
	assert.Error(t, err)
}
