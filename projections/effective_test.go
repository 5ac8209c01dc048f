package projections_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections"
)

// TestLateExpiryIsDatedAtItsDueTime: a merchant_response expiry fired five
// hours late (the buyer's message then is refused and records nothing; the
// scheduler, back at that moment, fires it) is a penalty fact dated at the
// due time, the merchant's rolling window counts it from there, and the
// refund it caused closes the ticket at the due time. The read models are
// built one event per page and read back from their rows between pages, so
// the expiry's append is split as it may be across a restart.
func TestLateExpiryIsDatedAtItsDueTime(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	k := l.ticket("T-late", "m-late")
	k.open(t, epoch, events.KindRefundOnly, events.ReasonQuality)
	due := k.state.Deadlines[events.DeadlineMerchantResponse]
	require.False(t, due.IsZero())
	fired := due.Add(5 * time.Hour)
	req := commands.Request{CommandID: "late-msg", TicketID: k.id, Actor: events.Actor{Role: events.RoleBuyer, ID: k.buyer},
		Command: "post_message", At: &fired}
	_, err := l.h.Handle(context.Background(), req, domain.PostMessage{Text: "any news?"})
	require.ErrorIs(t, err, domain.ErrTicketClosed, "decided against the overdue expiry, which closes the ticket")
	expiry := commands.Request{CommandID: commands.ExpiryCommandID(k.id, events.DeadlineMerchantResponse, due), CorrelationID: k.id,
		TicketID: k.id, Actor: events.SystemActor(), Command: "expire_deadline", At: &fired}
	res, err := l.h.Handle(context.Background(), expiry, domain.ExpireDeadline{Deadline: events.DeadlineMerchantResponse})
	require.NoError(t, err)
	require.False(t, res.Duplicate, "the refused message recorded nothing, not even the expiry")

	projs := projections.Default(l.db, l.pol)
	projections.ForgetBetweenPages(projs)
	_, err = projections.NewProjector(l.store, l.db, projs, projections.Options{PageSize: 1, RetryInterval: time.Millisecond}).Run(context.Background())
	require.NoError(t, err)

	var factAt, closedAt string
	require.NoError(t, l.db.SQL.QueryRow(`SELECT occurred_at FROM rm_penalty_facts WHERE ticket_id = ?`, k.id).Scan(&factAt))
	assert.Equal(t, projections.FormatTime(due), factAt, "the penalty fact is dated at the due time, not at the firing")
	require.NoError(t, l.db.SQL.QueryRow(`SELECT closed_at FROM rm_ticket_status WHERE ticket_id = ?`, k.id).Scan(&closedAt))
	assert.Equal(t, projections.FormatTime(due), closedAt, "the refund the expiry caused closed the ticket at the due time")

	year := time.Duration(l.pol.Penalties.WindowDays) * 24 * time.Hour
	tick := time.Microsecond
	for _, c := range []struct {
		name string
		end  time.Time
		want int
	}{
		{"window ends just before the due time", due.Add(-tick), 0},
		{"window ends at the due time", due, 2},
		{"window ends just before the fact leaves it", due.Add(year - tick), 2},
		{"the fact leaves the window a year after the due time, not after the firing", due.Add(year + time.Hour), 0},
	} {
		scores, err := projections.Scores(context.Background(), l.db, c.end, l.pol)
		require.NoError(t, err)
		got := 0
		for _, s := range scores {
			if s.MerchantID == k.merchant {
				got = s.Score
			}
		}
		assert.Equal(t, c.want, got, c.name)
	}
}
