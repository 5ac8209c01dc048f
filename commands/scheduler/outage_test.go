package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/internal/clock"
)

// outageLedger is one ledger with its clock, its handler and a scheduler
// that is started afresh (a restart) each time it is asked to fire.
type outageLedger struct {
	store eventstore.Store
	rm    *readModel
	clock *clock.ManualClock
	h     *commands.Handler
}

func newOutageLedger(t *testing.T) *outageLedger {
	store := openStore(t)
	clock := clock.NewManualClock(t0)
	return &outageLedger{store: store, rm: openReadModel(t, store), clock: clock, h: commands.NewHandler(store, commands.WithClock(clock.Now))}
}

// fireAt starts a scheduler at the moment at, once its read model has
// caught up, lets it take one step, and reports how many expiries it
// recorded.
func (l *outageLedger) fireAt(t *testing.T, at time.Time) uint64 {
	t.Helper()
	l.clock.Set(at)
	l.rm.sync(t)
	s := newScheduler(t, l.rm, l.h, l.clock)
	_, err := s.Step(context.Background(), at)
	require.NoError(t, err)
	return s.Status().Fired
}

func (l *outageLedger) ticket(t *testing.T) (domain.Ticket, []domain.Step) {
	t.Helper()
	ticket, envs, err := commands.LoadTicket(context.Background(), l.store, "T-1")
	require.NoError(t, err)
	return ticket, domain.Timeline(envs, nil)
}

// TestSchedulerOutageShiftsNothing plays one return dispute on two ledgers:
// on one the scheduler fires every deadline at its due time, on the other it
// is down for an hour before each expiry and restarted. Every due time,
// every effective time and the close come out the same; only the recording
// times of the expiries differ, by the hour of the outage.
func TestSchedulerOutageShiftsNothing(t *testing.T) {
	t.Parallel()
	const outage = time.Hour
	onTime, late := newOutageLedger(t), newOutageLedger(t)
	both := func(f func(l *outageLedger, delay time.Duration)) {
		f(onTime, 0)
		f(late, outage)
	}
	both(func(l *outageLedger, _ time.Duration) { do(t, l.h, "T-1", buyer, open(events.KindReturnRefund)) })

	// merchant silent: approved at the response deadline, however late fired.
	responseDue := t0.Add(72 * time.Hour)
	both(func(l *outageLedger, delay time.Duration) {
		assert.Equal(t, uint64(1), l.fireAt(t, responseDue.Add(delay)))
	})
	// The buyer ships the return two days later, on both ledgers alike.
	shipped := responseDue.Add(48 * time.Hour)
	both(func(l *outageLedger, _ time.Duration) {
		l.clock.Set(shipped)
		do(t, l.h, "T-1", buyer, domain.ShipReturn{Shipment: events.Shipment{Carrier: "SF", TrackingNumber: "SF1"}})
	})
	// Merchant silent again: receipt confirmed automatically, then the
	// refund window runs out and the system orders the refund.
	receiptDue := shipped.Add(10 * 24 * time.Hour)
	refundDue := receiptDue.Add(7 * 24 * time.Hour)
	both(func(l *outageLedger, delay time.Duration) {
		assert.Equal(t, uint64(1), l.fireAt(t, receiptDue.Add(delay)))
		assert.Equal(t, uint64(1), l.fireAt(t, refundDue.Add(delay)))
	})

	want, wantSteps := onTime.ticket(t)
	got, gotSteps := late.ticket(t)
	require.Equal(t, domain.ResolutionRefunded, want.Resolution)
	assert.Equal(t, want.Resolution, got.Resolution)
	require.NotNil(t, got.ClosedAt)
	assert.Equal(t, refundDue, *got.ClosedAt, "refunded when the refund window ended, not an hour later")
	require.Len(t, gotSteps, len(wantSteps))
	for i := range wantSteps {
		w, g := wantSteps[i], gotSteps[i]
		require.Equal(t, w.Event.Type, g.Event.Type)
		assert.Equal(t, w.EffectiveAt, g.EffectiveAt, "revision %d (%s) takes effect at the same time", i, g.Event.Type)
		assert.Equal(t, w.Event.Payload, g.Event.Payload, "revision %d (%s) records the same facts and due times", i, g.Event.Type)
		assert.Equal(t, w.State.Deadlines, g.State.Deadlines, "revision %d: the same deadlines are open", i)
		if _, ok := g.Event.Payload.(events.DeadlineExpired); ok {
			assert.Equal(t, outage, g.Event.OccurredAt.Sub(w.Event.OccurredAt), "the late expiry is recorded an hour later")
		}
	}
}
