package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/commands/scheduler"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/internal/clock"
)

func TestIndexTracksOpenDeadlines(t *testing.T) {
	t.Parallel()
	store := openStore(t)
	clock := clock.NewManualClock(t0)
	h := commands.NewHandler(store, commands.WithClock(clock.Now))
	do(t, h, "T-1", buyer, open(events.KindRefundOnly))
	do(t, h, "T-2", buyer, open(events.KindReturnRefund))
	clock.Advance(time.Hour)
	do(t, h, "T-2", merchant, domain.Reject{Reason: "no"}) // merchant_response met; buyer_escalation starts
	do(t, h, "T-1", buyer, domain.PostMessage{Text: "hello"})

	x := scheduler.NewIndex()
	recs, err := store.ReadAll(context.Background(), 0, 0)
	require.NoError(t, err)
	for _, rec := range recs {
		env, err := events.Decode(rec.Data)
		require.NoError(t, err)
		x.Apply(env, rec.Position)
	}
	assert.Equal(t, recs[len(recs)-1].Position, x.Position())
	assert.Equal(t, 2, x.Open())

	next, ok := x.Next()
	require.True(t, ok)
	assert.Equal(t, t0.Add(72*time.Hour), next, "T-1's merchant_response; T-2's was met")

	assert.Empty(t, x.PopDue(t0.Add(71*time.Hour), 10))
	due := x.PopDue(t0.Add(30*24*time.Hour), 10)
	assert.Equal(t, []scheduler.Due{
		{TicketID: "T-1", Kind: events.DeadlineMerchantResponse, DueAt: t0.Add(72 * time.Hour)},
		{TicketID: "T-2", Kind: events.DeadlineBuyerEscalation, DueAt: t0.Add(time.Hour + 7*24*time.Hour)},
	}, due, "one entry per deadline although T-1 had two events since its deadline started")
	assert.Empty(t, x.PopDue(t0.Add(30*24*time.Hour), 10))

	// A command's result is observed ahead of the log; the log's copy of
	// the same events is then skipped, and the close drops the ticket.
	clock.Set(t0.Add(73 * time.Hour))
	res, err := h.Handle(context.Background(), commands.Request{CommandID: "x", TicketID: "T-1", Actor: events.SystemActor(),
		Command: "expire_deadline"}, domain.ExpireDeadline{Deadline: events.DeadlineMerchantResponse})
	require.NoError(t, err)
	require.True(t, res.Ticket.Closed())
	x.Observe(res.Ticket)
	assert.Equal(t, 2, x.Open(), "kept until the log catches up")
	after, err := store.ReadAll(context.Background(), x.Position(), 0)
	require.NoError(t, err)
	for _, rec := range after {
		env, err := events.Decode(rec.Data)
		require.NoError(t, err)
		x.Apply(env, rec.Position)
	}
	assert.Equal(t, 1, x.Open(), "closed ticket dropped")
}

func TestManualClockTimers(t *testing.T) {
	t.Parallel()
	c := clock.NewManualClock(t0)
	now, _ := c.NewTimer(0)
	select {
	case <-now:
	default:
		t.Fatal("a timer for 0 fires at once")
	}
	a, _ := c.NewTimer(time.Hour)
	b, stopB := c.NewTimer(2 * time.Hour)
	assert.Equal(t, 2, c.Waiters())
	stopB()
	assert.Equal(t, 1, c.Waiters())
	c.Advance(59 * time.Minute)
	select {
	case <-a:
		t.Fatal("fired early")
	default:
	}
	c.Advance(time.Minute)
	assert.Equal(t, t0.Add(time.Hour), <-a)
	select {
	case <-b:
		t.Fatal("stopped timer fired")
	default:
	}
	c.Set(t0) // never backwards
	assert.Equal(t, t0.Add(time.Hour), c.Now())
}

func TestScaledClock(t *testing.T) {
	t.Parallel()
	_, err := clock.NewScaledClock(t0, 0)
	require.Error(t, err)
	c, err := clock.NewScaledClock(t0, 3600)
	require.NoError(t, err)
	start := time.Now()
	ch, stop := c.NewTimer(36 * time.Second) // 10 ms of real time
	defer stop()
	<-ch
	assert.GreaterOrEqual(t, time.Since(start), 10*time.Millisecond)
	assert.False(t, c.Now().Before(t0.Add(36*time.Second)))
	assert.Equal(t, 3600.0, c.Speed())
}
