package commands_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// An expiry fired late by a command takes effect at its due time: the
// auto-approval it causes and every deadline that starts count from the due
// time, not from the command that happened to fire it (docs/domain.md, Deadlines).
func TestLateExpiryTakesEffectAtItsDueTime(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	responseDue := now.Add(72 * time.Hour)
	returnDue := responseDue.Add(7 * 24 * time.Hour)
	const returnOpen = `{"command_id":"c-open","ticket_id":"T-1","actor":{"role":"buyer","id":"b-1"},"command":"open_ticket",
 "data":{"order_id":"O-1","merchant_id":"m-1","kind":"return_refund","reason":"quality","currency":"CNY","amount_paid":5000,"requested":5000,"order_shipped":true,"delivered_at":"2026-11-01T02:00:00Z"}}`
	const message = `{"command_id":"c-late","ticket_id":"T-1","actor":{"role":"buyer","id":"b-1"},"command":"post_message","data":{"text":"any news?"}}`

	tests := []struct {
		name     string
		open     string
		late     time.Duration // after the merchant_response due time
		wantLast []string      // event types of the expiry's append and what follows
		check    func(t *testing.T, ticket domain.Ticket, steps []domain.Step)
	}{
		{
			name: "refund only: approved and refunded at the due time", open: openLine, late: 5 * time.Hour,
			wantLast: []string{events.TypeDeadlineExpired, events.TypeMerchantAgreed, events.TypeRefundIssued},
			check: func(t *testing.T, ticket domain.Ticket, steps []domain.Step) {
				require.NotNil(t, ticket.ClosedAt)
				assert.Equal(t, responseDue, *ticket.ClosedAt, "closed when the refund took effect, at the due time")
			},
		},
		{
			name: "return: the return window counts from the due time", open: returnOpen, late: 5 * time.Hour,
			wantLast: []string{events.TypeDeadlineExpired, events.TypeMerchantAgreed, events.TypeMessagePosted},
			check: func(t *testing.T, ticket domain.Ticket, steps []domain.Step) {
				agreed := steps[2].Event.Payload.(events.MerchantAgreed)
				require.Len(t, agreed.Deadlines, 1)
				assert.Equal(t, returnDue, agreed.Deadlines[0].DueAt, "7 days from the due time, not from the firing")
				assert.Equal(t, pol.DueAt(events.DeadlineReturnShipment, responseDue), agreed.Deadlines[0].DueAt)
				assert.Equal(t, returnDue, ticket.Deadlines[events.DeadlineReturnShipment])
			},
		},
		{
			name: "return: a chain of missed deadlines, each at its own due time", open: returnOpen, late: 8 * 24 * time.Hour,
			wantLast: []string{events.TypeDeadlineExpired, events.TypeMerchantAgreed, events.TypeDeadlineExpired, events.TypeTicketAbandoned},
			check: func(t *testing.T, ticket domain.Ticket, steps []domain.Step) {
				assert.Equal(t, domain.ResolutionAbandoned, ticket.Resolution)
				require.NotNil(t, ticket.ClosedAt)
				assert.Equal(t, returnDue, *ticket.ClosedAt, "abandoned when the return window (from the first due time) ran out")
				assert.Equal(t, []time.Time{now, responseDue, responseDue, returnDue, returnDue}, effectiveTimes(steps))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ledger.db"), sqlite.Config{})
			require.NoError(t, err)
			defer store.Close()
			firing := responseDue.Add(tt.late)
			clock := now
			h := commands.NewHandler(store, commands.WithClock(func() time.Time { return clock }))
			mustHandle(t, h, tt.open)
			clock = firing
			req, cmd := parse(t, message)
			if _, err := h.Handle(ctx, req, cmd); err != nil {
				// Refused on the ticket the expiries closed: nothing is
				// recorded, and the scheduler fires them, as late.
				require.ErrorIs(t, err, domain.ErrTicketClosed)
				_, history, err := commands.LoadTicket(ctx, store, "T-1")
				require.NoError(t, err)
				require.Len(t, history, 1, "a refused command records nothing")
				fireOverdueAsScheduler(t, h, store, firing)
			}

			ticket, history, err := commands.LoadTicket(ctx, store, "T-1")
			require.NoError(t, err)
			got := make([]string, 0, len(history)-1)
			for _, env := range history[1:] {
				got = append(got, env.Type)
				assert.Equal(t, firing, env.OccurredAt, "%s is recorded when it was fired", env.Type)
			}
			assert.Equal(t, tt.wantLast, got)
			fired := history[1].Payload.(events.DeadlineExpired)
			assert.Equal(t, responseDue, fired.DueAt, "the expiry keeps its due time beside its recording time")
			assert.Equal(t, responseDue, history[1].EffectiveAt())

			steps := domain.Timeline(history, nil)
			assert.Equal(t, responseDue, steps[1].EffectiveAt)
			assert.Equal(t, responseDue, steps[2].EffectiveAt, "what the expiry caused takes effect with it")
			tt.check(t, ticket, steps)
		})
	}
}

func effectiveTimes(steps []domain.Step) []time.Time {
	out := make([]time.Time, len(steps))
	for i, s := range steps {
		out[i] = s.EffectiveAt
	}
	return out
}

// fireOverdueAsScheduler fires T-1's overdue deadlines one by one, earliest
// first, as the scheduler does.
func fireOverdueAsScheduler(t *testing.T, h *commands.Handler, store eventstore.Store, at time.Time) {
	t.Helper()
	ctx := context.Background()
	for {
		ticket, _, err := commands.LoadTicket(ctx, store, "T-1")
		require.NoError(t, err)
		kind, due, ok := ticket.NextDeadline()
		if !ok || due.After(at) || ticket.Closed() {
			return
		}
		req, cmd := expiryRequest("T-1", kind, due)
		res, err := h.Handle(ctx, req, cmd)
		require.NoError(t, err)
		require.False(t, res.Duplicate)
	}
}
