package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// TestContradictoryOpenIsRefused: a request whose facts about the order
// cannot all be true is refused with a typed error naming the fields, and
// records nothing; the consistent neighbours of each case are accepted.
func TestContradictoryOpenIsRefused(t *testing.T) {
	t.Parallel()
	past, future := t0.Add(-48*time.Hour), t0.Add(time.Hour)
	req := func(kind events.TicketKind, reason events.Reason, shipped bool, delivered *time.Time) domain.OpenTicket {
		return domain.OpenTicket{TicketID: "T-1", OrderID: "O-1", MerchantID: "m-1", Kind: kind, Reason: reason,
			Currency: "CNY", AmountPaid: 19900, Requested: 19900, OrderShipped: shipped, DeliveredAt: delivered}
	}
	tests := []struct {
		name       string
		cmd        domain.OpenTicket
		wantFields []string // nil: accepted
	}{
		{"never shipped yet delivered", req(events.KindRefundOnly, events.ReasonNotShipped, false, &past), []string{"order_shipped", "delivered_at"}},
		{"never shipped yet delivered, logistics", req(events.KindRefundOnly, events.ReasonLogistics, false, &past), []string{"order_shipped", "delivered_at"}},
		{"never shipped yet delivered, a return", req(events.KindReturnRefund, events.ReasonQuality, false, &past), []string{"order_shipped", "delivered_at"}},
		{"delivered after the request", req(events.KindReturnRefund, events.ReasonQuality, true, &future), []string{"delivered_at"}},
		{"quality complaint about goods never shipped", req(events.KindRefundOnly, events.ReasonQuality, false, nil), []string{"order_shipped", "reason"}},
		{"counterfeit goods never shipped", req(events.KindRefundOnly, events.ReasonCounterfeit, false, nil), []string{"order_shipped", "reason"}},
		{"damaged goods never shipped", req(events.KindRefundOnly, events.ReasonDamaged, false, nil), []string{"order_shipped", "reason"}},

		{"never shipped, not delivered", req(events.KindRefundOnly, events.ReasonNotShipped, false, nil), nil},
		{"shipped, in transit, logistics", req(events.KindRefundOnly, events.ReasonLogistics, true, nil), nil},
		{"shipped and delivered", req(events.KindReturnRefund, events.ReasonQuality, true, &past), nil},
		{"delivered at the very moment of the request", req(events.KindReturnRefund, events.ReasonQuality, true, &t0), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := domain.Decide(domain.Ticket{}, buyer, tt.cmd, t0, newLedger(t).pol)
			if tt.wantFields == nil {
				require.NoError(t, err)
				assert.Equal(t, []string{events.TypeRefundRequested}, types(got))
				return
			}
			require.ErrorIs(t, err, domain.ErrContradictoryInput)
			var c *domain.ContradictionError
			require.True(t, errors.As(err, &c))
			assert.Equal(t, tt.wantFields, c.Fields)
			assert.NotEmpty(t, c.Reason)
			assert.Empty(t, got, "a refusal records nothing")
		})
	}
}
