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

// TestStepFiresWhatIsDueAndSaysWhat drives a scheduler by hand on a
// virtual clock: a step fires exactly the deadlines due at or before its
// time, earliest first, and returns each with its outcome; a deadline it
// fired is not fired again while the read model still lists it.
func TestStepFiresWhatIsDueAndSaysWhat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := openStore(t)
	c := clock.NewManualClock(t0)
	h := commands.NewHandler(store, commands.WithClock(c.Now))
	do(t, h, "T-1", buyer, open(events.KindRefundOnly))
	c.Advance(time.Hour)
	do(t, h, "T-2", buyer, open(events.KindReturnRefund))
	rm := openReadModel(t, store)
	rm.sync(t)
	s := newScheduler(t, rm, h, c)

	first, second := t0.Add(72*time.Hour), t0.Add(73*time.Hour)
	c.Set(first.Add(-time.Second))
	fired, err := s.Step(ctx, c.Now())
	require.NoError(t, err)
	assert.Empty(t, fired, "nothing due a second before the first deadline")

	c.Set(second)
	fired, err = s.Step(ctx, c.Now())
	require.NoError(t, err)
	require.Len(t, fired, 2)
	for i, want := range []scheduler.Due{
		{TicketID: "T-1", Kind: events.DeadlineMerchantResponse, DueAt: first},
		{TicketID: "T-2", Kind: events.DeadlineMerchantResponse, DueAt: second},
	} {
		assert.Equal(t, want.TicketID, fired[i].TicketID)
		assert.Equal(t, want.Kind, fired[i].Kind)
		assert.True(t, want.DueAt.Equal(fired[i].DueAt))
		assert.Equal(t, scheduler.Fired, fired[i].Outcome, "%v", fired[i].Err)
		assert.Positive(t, fired[i].Events)
	}
	assert.Equal(t, domain.ResolutionRefunded, fired[0].Ticket.Resolution, "merchant silence approves a refund-only request")
	assert.Contains(t, fired[1].Ticket.Deadlines, events.DeadlineReturnShipment, "the approved return waits for the parcel")

	// The read model has not caught up: the fired deadlines are still
	// listed, and not fired again.
	again, err := s.Step(ctx, c.Now())
	require.NoError(t, err)
	assert.Empty(t, again)
	assert.Equal(t, 2, s.Status().Waiting)
	rm.sync(t)
	again, err = s.Step(ctx, c.Now())
	require.NoError(t, err)
	assert.Empty(t, again)
	st := s.Status()
	assert.Zero(t, st.Waiting, "caught up: nothing remembered")
	assert.Equal(t, uint64(2), st.Fired)
	assert.Equal(t, uint64(4), st.Steps)
	assert.NoError(t, st.Err)
	assert.Equal(t, map[string]int{
		commands.ExpiryCommandID("T-1", events.DeadlineMerchantResponse, first):  1,
		commands.ExpiryCommandID("T-2", events.DeadlineMerchantResponse, second): 1,
	}, expiries(t, store))
}

// TestStepWithALaggingReadModel: the read model behind the log never makes
// the scheduler record a wrong expiry, and never makes it miss one. A
// deadline met meanwhile is not fired (stale); one started again with
// another due time is fired at that time under its own command id once the
// read model knows it; one the read model has not seen yet is fired by a
// later step and takes effect at its due time all the same.
func TestStepWithALaggingReadModel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := openStore(t)
	c := clock.NewManualClock(t0)
	h := commands.NewHandler(store, commands.WithClock(c.Now))
	do(t, h, "T-met", buyer, open(events.KindRefundOnly))
	do(t, h, "T-moved", buyer, open(events.KindRefundOnly))
	rm := openReadModel(t, store)
	rm.sync(t) // knows both merchant_response deadlines, due at t0+72h

	c.Advance(10 * time.Hour)
	do(t, h, "T-met", merchant, domain.Agree{})                                            // met: closed as refunded
	do(t, h, "T-moved", buyer, domain.ReviseRequest{Requested: 4000, Description: "less"}) // merchant_response starts again
	moved := c.Now().Add(72 * time.Hour)
	do(t, h, "T-late", buyer, open(events.KindRefundOnly)) // unknown to the read model
	late := moved

	s := newScheduler(t, rm, h, c)
	c.Set(t0.Add(72 * time.Hour))
	fired, err := s.Step(ctx, c.Now())
	require.NoError(t, err)
	require.Len(t, fired, 2)
	for _, f := range fired {
		assert.Equal(t, scheduler.Stale, f.Outcome, "%s: the ticket's deadline is not the one listed", f.TicketID)
	}
	assert.Empty(t, expiries(t, store), "nothing recorded from a stale listing")

	// Long after both real due times, the read model still lags: nothing
	// is fired, nothing missed for good.
	c.Set(late.Add(5 * time.Hour))
	fired, err = s.Step(ctx, c.Now())
	require.NoError(t, err)
	assert.Empty(t, fired)

	rm.sync(t)
	fired, err = s.Step(ctx, c.Now())
	require.NoError(t, err)
	require.Len(t, fired, 2)
	for _, f := range fired {
		assert.Equal(t, scheduler.Fired, f.Outcome, "%s: %v", f.TicketID, f.Err)
	}
	assert.Equal(t, map[string]int{
		commands.ExpiryCommandID("T-moved", events.DeadlineMerchantResponse, moved): 1,
		commands.ExpiryCommandID("T-late", events.DeadlineMerchantResponse, late):   1,
	}, expiries(t, store))
	for _, id := range []string{"T-moved", "T-late"} {
		_, envs, err := commands.LoadTicket(ctx, store, id)
		require.NoError(t, err)
		steps := domain.Timeline(envs, nil)
		last := steps[len(steps)-1]
		assert.True(t, last.EffectiveAt.Equal(moved), "%s closed at the due time, five hours before the expiry was fired", id)
		assert.True(t, last.Event.OccurredAt.Equal(late.Add(5*time.Hour)))
	}
}

// TestStepFiresAChainOfOverdueDeadlines: after an outage, an expiry whose
// consequence is a deadline already past due fires that one too in the
// same step, without waiting for the read model to learn of it.
func TestStepFiresAChainOfOverdueDeadlines(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := openStore(t)
	c := clock.NewManualClock(t0)
	h := commands.NewHandler(store, commands.WithClock(c.Now))
	do(t, h, "T-1", buyer, open(events.KindReturnRefund))
	rm := openReadModel(t, store)
	rm.sync(t)
	s := newScheduler(t, rm, h, c)

	c.Set(t0.AddDate(0, 1, 0)) // a month of outage
	fired, err := s.Step(ctx, c.Now())
	require.NoError(t, err)
	require.Len(t, fired, 2)
	assert.Equal(t, events.DeadlineMerchantResponse, fired[0].Kind)
	assert.Equal(t, events.DeadlineReturnShipment, fired[1].Kind, "the return was approved, then never shipped")
	for _, f := range fired {
		assert.Equal(t, scheduler.Fired, f.Outcome, "%v", f.Err)
	}
	assert.Equal(t, domain.ResolutionAbandoned, fired[1].Ticket.Resolution)
}
