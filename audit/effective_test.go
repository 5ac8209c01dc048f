package audit_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/internal/fixture"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// TestLateExpiryScheduleCountsFromItsDueTime: the auditor agrees with the
// domain that a deadline started by an expiry fired late counts from the
// expired deadline's due time, and flags one counted from the firing.
func TestLateExpiryScheduleCountsFromItsDueTime(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	ctx := context.Background()
	verify := func(m *fixture.Memory) *audit.Report {
		rep, err := audit.VerifyLog(ctx, "memory", m, &fixture.Seals{}, audit.Options{Policies: audit.NewPolicySet(pol), TrustOnFirstUse: true, AllowUnsealed: true})
		require.NoError(t, err)
		return rep
	}
	m := fixture.NewMemory(pol)
	delivered := t0.Add(-48 * time.Hour)
	opened, err := m.Do(ctx, "T-late", "open", t0, fixture.Buyer(1), domain.OpenTicket{TicketID: "T-late", OrderID: "O-late",
		MerchantID: fixture.Merchant(1).ID, Kind: events.KindReturnRefund, Reason: events.ReasonQuality, Currency: "CNY",
		AmountPaid: 5000, Requested: 5000, OrderShipped: true, DeliveredAt: &delivered})
	require.NoError(t, err)
	due := opened.Deadlines[events.DeadlineMerchantResponse]
	fired := due.Add(5 * time.Hour)
	_, err = m.Do(ctx, "T-late", "expire-late", fired, events.SystemActor(), domain.ExpireDeadline{Deadline: events.DeadlineMerchantResponse})
	require.NoError(t, err)

	rep := verify(m)
	assert.Empty(t, rep.Findings, "a late expiry counted from its due time is legal")

	pos := positionIn(t, m, events.StreamFor("T-late"), events.TypeMerchantAgreed)
	rewriteEvent(t, m, pos, func(e *events.Envelope) {
		p := e.Payload.(events.MerchantAgreed)
		p.Deadlines = []events.ScheduledDeadline{{Kind: events.DeadlineReturnShipment, DueAt: pol.DueAt(events.DeadlineReturnShipment, fired)}}
		e.Payload = p
	})
	rep = verify(m)
	assert.Equal(t, []audit.Check{audit.CheckDeadlineSchedule}, slices.Sorted(maps.Keys(rep.Counts)), "findings: %+v", rep.Findings)
	requireFinding(t, rep, audit.CheckDeadlineSchedule, pos)
}
