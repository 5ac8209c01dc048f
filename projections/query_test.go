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

	ids := func(rows []projections.TicketSummary) []string {
		var out []string
		for _, r := range rows {
			out = append(out, r.TicketID)
		}
		return out
	}
	for _, c := range []struct {
		name string
		f    projections.TicketFilter
		want []string
		more bool
	}{
		{"all, in opening order", projections.TicketFilter{}, []string{"T-q1", "T-q2", "T-q3"}, false},
		{"by merchant", projections.TicketFilter{MerchantID: "m-a"}, []string{"T-q1", "T-q3"}, false},
		{"by status", projections.TicketFilter{Status: string(domain.StatusRejected)}, []string{"T-q2"}, false},
		{"time range", projections.TicketFilter{OpenedFrom: epoch.Add(time.Hour), OpenedTo: epoch.Add(48 * time.Hour)}, []string{"T-q2"}, false},
		{"a page", projections.TicketFilter{Limit: 2}, []string{"T-q1", "T-q2"}, true},
		{"the last page", projections.TicketFilter{Limit: 2, After: &projections.TicketCursor{OpenedAt: epoch.Add(24 * time.Hour), TicketID: "T-q2"}}, []string{"T-q3"}, false},
		{"a full last page", projections.TicketFilter{Limit: 3}, []string{"T-q1", "T-q2", "T-q3"}, false},
	} {
		page, err := projections.Tickets(ctx, l.db, c.f)
		require.NoError(t, err, c.name)
		assert.Equal(t, c.want, ids(page.Items), c.name)
		assert.Equal(t, c.more, page.HasMore, c.name)
		assert.Equal(t, c.more, page.Next != nil, c.name)
		if c.more {
			next, err := projections.ParseTicketCursor(page.Next.String())
			require.NoError(t, err)
			assert.Equal(t, page.Items[len(page.Items)-1].TicketID, next.TicketID, "the cursor names the page's last ticket")
		}
	}
	page, err := projections.Tickets(ctx, l.db, projections.TicketFilter{Status: string(domain.StatusClosed)})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, "refunded", page.Items[0].Resolution)
	assert.Equal(t, int64(paid), page.Items[0].Refunded)
	assert.NotNil(t, page.Items[0].ClosedAt)

	counts, err := projections.StatusCounts(ctx, l.db)
	require.NoError(t, err)
	assert.ElementsMatch(t, []projections.StatusCount{
		{Status: "closed", Resolution: "refunded", Tickets: 1},
		{Status: "rejected", Tickets: 1},
		{Status: "awaiting_merchant", Tickets: 1},
	}, counts)

	audit, err := projections.Audit(ctx, l.db, projections.AuditFilter{MerchantID: "m-a"})
	require.NoError(t, err)
	require.Len(t, audit.Entries, 4, "T-q1: opened, agreed, refunded; T-q3: opened")
	assert.Equal(t, "T-q1", audit.Entries[0].TicketID)
	assert.Equal(t, events.TypeRefundIssued, audit.Entries[2].EventType)
	audit, err = projections.Audit(ctx, l.db, projections.AuditFilter{TicketID: "T-q2", ActorRole: "merchant"})
	require.NoError(t, err)
	require.Len(t, audit.Entries, 1)
	assert.Equal(t, events.TypeMerchantRejected, audit.Entries[0].EventType)
	audit, err = projections.Audit(ctx, l.db, projections.AuditFilter{From: epoch.Add(24 * time.Hour), Limit: 1})
	require.NoError(t, err)
	require.Len(t, audit.Entries, 1)
	assert.Equal(t, "T-q2", audit.Entries[0].TicketID)
	assert.True(t, audit.HasMore)
	pos, err := projections.ParseAuditCursor(projections.AuditCursor(audit.Entries[0].Position))
	require.NoError(t, err)
	assert.Equal(t, audit.Entries[0].Position, pos)
	_, err = projections.ParseTicketCursor("bogus")
	assert.ErrorIs(t, err, projections.ErrBadCursor)
}

func TestPenaltyFactsOfATicket(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	ctx := context.Background()
	k := l.ticket("T-pf", "m-pf")
	k.open(t, epoch, events.KindRefundOnly, events.ReasonQuality)
	k.byMerchant(t, epoch.Add(time.Hour), domain.PostMessage{Text: "亲，我们会尽快处理"})
	k.byBuyer(t, epoch.Add(2*time.Hour), domain.PostMessage{Text: "please answer soon"})
	k.byMerchant(t, epoch.Add(3*time.Hour), domain.PostMessage{Text: "will ship a fix soon"})
	other := l.ticket("T-pf2", "m-pf")
	other.open(t, epoch, events.KindRefundOnly, events.ReasonQuality)
	other.byMerchant(t, epoch.Add(time.Hour), domain.PostMessage{Text: "shortly"})
	l.runToHead(t)

	facts, err := projections.PenaltyFacts(ctx, l.db, "T-pf")
	require.NoError(t, err)
	require.Len(t, facts, 2, "the merchant's two vague messages; the buyer's words do not count")
	for i, rev := range []uint64{1, 3} {
		assert.Equal(t, rev, facts[i].Revision, "fact %d is the event at revision %d", i, rev)
		assert.Equal(t, "vague_message", facts[i].Reason)
		assert.Equal(t, 1, facts[i].Points)
		assert.Equal(t, "m-pf", facts[i].MerchantID)
		assert.Zero(t, facts[i].ReversedBy)
	}
	assert.Less(t, facts[0].Position, facts[1].Position)
	none, err := projections.PenaltyFacts(ctx, l.db, "T-none")
	require.NoError(t, err)
	assert.Empty(t, none)
}

func TestTicketFilterRefusesUnknownValues(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		f  projections.TicketFilter
		ok bool
	}{
		{projections.TicketFilter{}, true},
		{projections.TicketFilter{Status: "under_review", Kind: "exchange"}, true},
		{projections.TicketFilter{Status: "bogus"}, false},
		{projections.TicketFilter{Status: "UNDER_REVIEW"}, false},
		{projections.TicketFilter{Kind: "refund"}, false},
	} {
		err := c.f.Validate()
		if c.ok {
			assert.NoError(t, err, "%+v", c.f)
		} else {
			assert.ErrorIs(t, err, projections.ErrBadFilter, "%+v", c.f)
		}
	}
}
