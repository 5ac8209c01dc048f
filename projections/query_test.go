package projections_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections"
)

func TestQueries(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	ctx := context.Background()
	a := l.ticket("T-q1", "m-a")
	a.open(t, epoch, events.KindRefundOnly, events.ReasonQuality)
	a.byMerchant(t, epoch.Add(time.Hour), domain.Agree{})
	b := l.ticket("T-q2", "m-b")
	b.open(t, epoch.Add(24*time.Hour), events.KindRefundOnly, events.ReasonQuality)
	b.byMerchant(t, epoch.Add(25*time.Hour), domain.Reject{Reason: "no"})
	c := l.ticket("T-q3", "m-a")
	c.open(t, epoch.Add(48*time.Hour), events.KindRefundOnly, events.ReasonLogistics)
	l.runToHead(t)

	ids := func(rows []projections.TicketRow) []string {
		var out []string
		for _, r := range rows {
			out = append(out, r.TicketID)
		}
		return out
	}
	for _, c := range []struct {
		name string
		q    projections.TicketQuery
		want []string
	}{
		{"all, in opening order", projections.TicketQuery{}, []string{"T-q1", "T-q2", "T-q3"}},
		{"by merchant", projections.TicketQuery{MerchantID: "m-a"}, []string{"T-q1", "T-q3"}},
		{"by state", projections.TicketQuery{State: string(domain.StatusRejected)}, []string{"T-q2"}},
		{"time range", projections.TicketQuery{Since: epoch.Add(time.Hour), Until: epoch.Add(48 * time.Hour)}, []string{"T-q2"}},
		{"limit", projections.TicketQuery{Limit: 2}, []string{"T-q1", "T-q2"}},
	} {
		rows, err := projections.Tickets(ctx, l.db, c.q)
		require.NoError(t, err, c.name)
		assert.Equal(t, c.want, ids(rows), c.name)
	}
	rows, err := projections.Tickets(ctx, l.db, projections.TicketQuery{State: string(domain.StatusClosed)})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.Equal(t, "refunded", rows[0].Resolution)
	assert.Equal(t, int64(paid), rows[0].Refunded)
	assert.NotNil(t, rows[0].ClosedAt)

	counts, err := projections.StateCounts(ctx, l.db)
	require.NoError(t, err)
	assert.ElementsMatch(t, []projections.StateCount{
		{State: "closed", Resolution: "refunded", Tickets: 1},
		{State: "rejected", Tickets: 1},
		{State: "awaiting_merchant", Tickets: 1},
	}, counts)

	audit, err := projections.Audit(ctx, l.db, projections.AuditQuery{MerchantID: "m-a"})
	require.NoError(t, err)
	require.Len(t, audit, 4, "T-q1: opened, agreed, refunded; T-q3: opened")
	assert.Equal(t, "T-q1", audit[0].TicketID)
	assert.Equal(t, events.TypeRefundIssued, audit[2].EventType)
	audit, err = projections.Audit(ctx, l.db, projections.AuditQuery{TicketID: "T-q2", ActorRole: "merchant"})
	require.NoError(t, err)
	require.Len(t, audit, 1)
	assert.Equal(t, events.TypeMerchantRejected, audit[0].EventType)
	audit, err = projections.Audit(ctx, l.db, projections.AuditQuery{Since: epoch.Add(24 * time.Hour), Limit: 1})
	require.NoError(t, err)
	require.Len(t, audit, 1)
	assert.Equal(t, "T-q2", audit[0].TicketID)
}
