package commands_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
)

// TestContradictoryOpenRecordsNothing: an order sent as never shipped but
// delivered is refused through the command path with the stable code
// contradictory_input (HTTP 400), and the ledger stays empty.
func TestContradictoryOpenRecordsNothing(t *testing.T) {
	t.Parallel()
	h, store := newHandler(t)
	ctx := context.Background()
	req, cmd := parse(t, `{"command_id":"c-open","ticket_id":"T-1","actor":{"role":"buyer","id":"b-1"},"command":"open_ticket",
 "data":{"order_id":"O-1","merchant_id":"m-1","kind":"refund_only","reason":"not_shipped","currency":"CNY","amount_paid":5000,"requested":5000,
 "order_shipped":false,"delivered_at":"2026-10-30T02:00:00Z"}}`)
	_, err := h.Handle(ctx, req, cmd)
	require.ErrorIs(t, err, domain.ErrContradictoryInput)
	var c *domain.ContradictionError
	require.True(t, errors.As(err, &c))
	assert.Equal(t, []string{"order_shipped", "delivered_at"}, c.Fields)
	assert.Equal(t, commands.Classification{Kind: commands.KindValidation, Code: "contradictory_input"}, commands.Classify(err))

	_, err = store.ReadStream(ctx, events.StreamFor("T-1"), 0, 0)
	assert.ErrorIs(t, err, eventstore.ErrStreamNotFound, "nothing was recorded")
}
