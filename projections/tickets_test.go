package projections_test

import (
	"context"
	"database/sql"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections"
)

// TestTicketStatusMatchesTheAggregate checks every row against the ticket
// folded from its stream by the write path's own code.
func TestTicketStatusMatchesTheAggregate(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	scs := append(scenarios.Seeds(epoch), generate(11, 120, epoch, l.pol)...)
	appendScenarios(t, l.store, l.pol, scs[:60])
	l.runToHead(t) // half now, half later: the second run reads rows back
	appendScenarios(t, l.store, l.pol, scs[60:])
	l.runToHead(t)

	ctx := context.Background()
	for _, sc := range scs {
		want, envs, err := commands.LoadTicket(ctx, l.store, sc.TicketID)
		require.NoError(t, err)
		var (
			state, merchant, buyer, opened, updated string
			locked                                  bool
			requested, refunded, compensation       int64
			nextKind, nextAt, closed, resolution    sql.NullString
			liability, intervenedBy                 sql.NullString
			evs, revision                           int64
		)
		require.NoError(t, l.db.SQL.QueryRow(`SELECT status, merchant_id, buyer_id, opened_at, updated_at, locked, requested, refunded, compensation,
			next_deadline, next_deadline_at, closed_at, resolution, liability, intervened_by, events, revision
			FROM rm_ticket_status WHERE ticket_id = ?`, sc.TicketID).Scan(&state, &merchant, &buyer, &opened, &updated, &locked,
			&requested, &refunded, &compensation, &nextKind, &nextAt, &closed, &resolution, &liability, &intervenedBy, &evs, &revision))
		assert.Equal(t, string(want.Status), state, sc.TicketID)
		assert.Equal(t, want.MerchantID, merchant)
		assert.Equal(t, want.BuyerID, buyer)
		assert.Equal(t, want.OpenedAt.UTC().Format(projections.TimeLayout), opened)
		assert.Equal(t, want.UpdatedAt.UTC().Format(projections.TimeLayout), updated)
		assert.Equal(t, want.Locked, locked)
		assert.Equal(t, []int64{want.Requested, want.Refunded, want.Compensation}, []int64{requested, refunded, compensation}, sc.TicketID)
		kind, due, ok := want.NextDeadline()
		assert.Equal(t, ok, nextKind.Valid)
		if ok {
			assert.Equal(t, string(kind), nextKind.String)
			assert.Equal(t, due.UTC().Format(projections.TimeLayout), nextAt.String)
		}
		assert.Equal(t, want.ClosedAt != nil, closed.Valid)
		assert.Equal(t, string(want.Resolution), resolution.String)
		assert.Equal(t, string(want.Liability), liability.String)
		assert.Equal(t, string(want.InterventionBy), intervenedBy.String)
		assert.Equal(t, int64(len(envs)), evs)
		assert.Equal(t, int64(want.Revision), revision)
	}
}

// TestAuditTrailHasOneRowPerEvent compares the audit trail with the log.
func TestAuditTrailHasOneRowPerEvent(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	appendScenarios(t, l.store, l.pol, scenarios.Seeds(epoch))
	l.runToHead(t)
	recs, err := l.store.ReadAll(context.Background(), 0, 0)
	require.NoError(t, err)
	rows, err := l.db.SQL.Query(`SELECT position, event_id, ticket_id, revision, occurred_at, actor_role, actor_id, event_type, summary, command_id, hash
		FROM rm_audit_trail ORDER BY position`)
	require.NoError(t, err)
	defer rows.Close()
	i := 0
	for ; rows.Next(); i++ {
		var pos, rev int64
		var id, ticket, at, role, actor, typ, summary, cmd, hash string
		require.NoError(t, rows.Scan(&pos, &id, &ticket, &rev, &at, &role, &actor, &typ, &summary, &cmd, &hash))
		require.Less(t, i, len(recs))
		env, err := events.Decode(recs[i].Data)
		require.NoError(t, err)
		assert.Equal(t, int64(recs[i].Position), pos)
		assert.Equal(t, []string{env.ID.String(), events.TicketOf(env.Stream), env.OccurredAt.UTC().Format(projections.TimeLayout),
			string(env.Actor.Role), env.Actor.ID, env.Type, events.Summary(env), env.CommandID, env.Hash},
			[]string{id, ticket, at, role, actor, typ, summary, cmd, hash})
		assert.Equal(t, int64(env.Revision), rev)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, len(recs), i)
}

func TestHeadFindsTheLastPosition(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	ctx := context.Background()
	head, err := projections.Head(ctx, l.store)
	require.NoError(t, err)
	assert.Zero(t, head)
	total := 0
	for _, n := range []int{1, 2, 5, 17} {
		total += appendScenarios(t, l.store, l.pol, generate(int64(n), n, epoch.AddDate(0, 0, n), l.pol))
		head, err := projections.Head(ctx, l.store)
		require.NoError(t, err)
		assert.Equal(t, uint64(total), head)
	}
}

// TestRebuildEqualsIncremental builds the read models incrementally while
// the commands are played — a follower running beside the writer, stopped
// and restarted, and runs to the head in between — and checks that
// rebuilding them from position zero gives the same rows, row for row, in
// place and in a separate file.
func TestRebuildEqualsIncremental(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	ctx := context.Background()
	scs := append(scenarios.Seeds(epoch), generate(21, 60, epoch.AddDate(0, -1, 0), l.pol)...)
	steps := interleave(scs)
	third := len(steps) / 3

	follow := func(steps []step, waitForHead bool) {
		fctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			_, err := l.projector(projections.Options{Follow: true, PageSize: 7}).Run(fctx)
			done <- err
		}()
		for _, s := range steps {
			l.handle(t, s)
		}
		if waitForHead { // otherwise stop wherever the follower is: either is correct
			head, err := projections.Head(ctx, l.store)
			require.NoError(t, err)
			require.Eventually(t, func() bool {
				for _, name := range []string{projections.TicketStatusName, projections.MerchantPenaltiesName, projections.AuditTrailName, projections.DeadlinesName} {
					if pos, err := l.db.Checkpoint(ctx, name); err != nil || pos != head {
						return false
					}
				}
				return true
			}, 20*time.Second, 10*time.Millisecond, "the follower keeps up with the writer")
		}
		stop()
		require.NoError(t, <-done)
	}
	follow(steps[:third], true)
	for i, s := range steps[third : 2*third] {
		l.handle(t, s)
		if i%40 == 0 {
			l.runToHead(t)
		}
	}
	follow(steps[2*third:], false)
	l.runToHead(t)
	incremental := dump(t, l.db)
	require.NotEmpty(t, incremental["rm_penalty_facts"], "the scenarios earn penalties")

	rep, err := l.projector(projections.Options{}).Rebuild(ctx)
	require.NoError(t, err)
	require.Len(t, rep.Projections, len(projections.Default(l.db, l.pol)))
	for _, p := range rep.Projections {
		assert.Zero(t, p.From)
		assert.Equal(t, rep.Head, p.To)
	}
	rebuilt := dump(t, l.db)
	for _, table := range append(readModelTables, "checkpoints") {
		assert.Equal(t, incremental[table], rebuilt[table], table)
	}

	separate, err := openSQLite(ctx, t.TempDir()+"/read-models.db")
	require.NoError(t, err)
	defer separate.Close()
	_, err = projections.RunToHead(ctx, l.store, separate, l.pol)
	require.NoError(t, err)
	assert.Equal(t, incremental, dump(t, separate))
}

// TestRebuildOneProjection leaves the others alone.
func TestRebuildOneProjection(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	ctx := context.Background()
	appendScenarios(t, l.store, l.pol, generate(3, 20, epoch, l.pol))
	l.runToHead(t)
	before := dump(t, l.db)
	_, err := l.db.SQL.Exec(`UPDATE rm_audit_trail SET summary = 'tampered'`)
	require.NoError(t, err)
	_, err = l.db.SQL.Exec(`UPDATE rm_ticket_status SET status = 'tampered'`)
	require.NoError(t, err)

	rep, err := l.projector(projections.Options{}).Rebuild(ctx, projections.AuditTrailName)
	require.NoError(t, err)
	require.Len(t, rep.Projections, 1)
	after := dump(t, l.db)
	assert.Equal(t, before["rm_audit_trail"], after["rm_audit_trail"], "rebuilt")
	assert.NotEqual(t, before["rm_ticket_status"], after["rm_ticket_status"], "not rebuilt")

	_, err = l.projector(projections.Options{}).Rebuild(ctx, "no_such_projection")
	assert.ErrorIs(t, err, projections.ErrUnknownProjection)
}

// A follower cancelled at once, before it has even started, stops cleanly.
func TestFollowerCancelledEarlyStopsCleanly(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	appendScenarios(t, l.store, l.pol, generate(41, 5, epoch, l.pol))
	for _, delay := range []time.Duration{0, time.Millisecond, 20 * time.Millisecond} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := l.projector(projections.Options{Follow: true}).Run(ctx)
			done <- err
		}()
		time.Sleep(delay)
		cancel()
		assert.NoError(t, <-done, "cancelled after %s", delay)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := l.projector(projections.Options{}).Run(ctx)
	assert.ErrorIs(t, err, context.Canceled, "a run to the head that is cancelled says so")
}

// TestTicketStatusAfterALateReturnReceipt restarts the projection between
// a return reported not received and its receipt after all, which withdraws
// the rejection the report made (and its escalation deadline): the row
// read back must hold the return's status (domain.Snapshot) for the next
// fold to know the receipt is late.
func TestTicketStatusAfterALateReturnReceipt(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	k := l.ticket("T-late", "m-late")
	k.open(t, epoch, events.KindReturnRefund, events.ReasonQuality)
	k.byMerchant(t, epoch.Add(time.Hour), domain.Agree{ReturnAddress: "仓库 1 号"})
	k.byBuyer(t, epoch.Add(2*time.Hour), domain.ShipReturn{Shipment: events.Shipment{Carrier: "SF", TrackingNumber: "SF100"}})
	k.byMerchant(t, epoch.Add(30*time.Hour), domain.ConfirmReceipt{Problem: events.ProblemNotReceived, Note: "仓库未收到"})
	l.runToHead(t) // the row is written; the next run is a new projector that reads it back
	k.byMerchant(t, epoch.Add(50*time.Hour), domain.ConfirmReceipt{})
	l.runToHead(t)

	var status, deadlines string
	require.NoError(t, l.db.SQL.QueryRow(`SELECT status, open_deadlines FROM rm_ticket_status WHERE ticket_id = 'T-late'`).Scan(&status, &deadlines))
	assert.Equal(t, string(k.state.Status), status)
	var want []string
	for _, d := range k.state.OpenDeadlines() {
		want = append(want, string(d.Kind)+"@"+projections.FormatTime(d.DueAt))
	}
	assert.Equal(t, strings.Join(want, ";"), deadlines, "the escalation window the report opened closed with the late receipt")
}

// TestClosedTicketsLeaveTheCaches rebuilds closed and open tickets: after
// the commit, the per-ticket read models keep only the open ones in memory
// (a closed ticket takes no further event), and their rows are those of a
// projector that ran beside the appends.
func TestClosedTicketsLeaveTheCaches(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	appendScenarios(t, l.store, l.pol, generate(21, 30, epoch, l.pol))
	appendOpenings(t, l.store, l.pol, generate(22, 10, epoch, l.pol))
	l.runToHead(t)
	live := dump(t, l.db)

	projs := projections.Default(l.db, l.pol)
	_, err := projections.NewProjector(l.store, l.db, projs, projections.Options{PageSize: 64}).Rebuild(context.Background())
	require.NoError(t, err)
	assert.Equal(t, live, dump(t, l.db))
	var open int
	require.NoError(t, l.db.SQL.QueryRow(`SELECT count(*) FROM rm_ticket_status WHERE status <> 'closed'`).Scan(&open))
	require.Equal(t, 10, open)
	for _, p := range projs {
		switch p.Name() {
		case projections.TicketStatusName, projections.DeadlinesName, projections.MerchantPenaltiesName:
			assert.Equal(t, open, reflect.ValueOf(projections.Cache(p)).Len(), "%s caches the open tickets only", p.Name())
		}
	}
}
