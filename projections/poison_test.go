package projections_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/follow"
	"github.com/disputes-ledger/disputes/projections"
)

// buggy is a projection with a bug: it cannot apply the event at one
// position, refusing it or panicking. Deploying the fix is building the
// projection without the wrapper.
type buggy struct {
	projections.Projection
	at     uint64
	panics bool
}

func (b buggy) Apply(ctx context.Context, ev follow.Event) error {
	if ev.Record.Position == b.at {
		if b.panics {
			var m map[string]int
			m["boom"]++ // a nil-map write, as bugs go
		}
		return &projections.ApplyError{Reason: "cannot handle " + ev.Record.Type}
	}
	return b.Projection.Apply(ctx, ev)
}

func (l *ledger) projectorWith(projs ...projections.Projection) *projections.Projector {
	return projections.NewProjector(l.store, l.db, projs, projections.Options{PageSize: 16, RetryInterval: time.Millisecond})
}

// TestPoisonEventStopsParksAndResumesAfterAFix: the projection stops at the
// event, reports its position and the reason, parks it, keeps the events
// before it, applies nothing after it, the other projections carry on, and
// after the fix it resumes at that event and ends equal to a clean build.
func TestPoisonEventStopsParksAndResumesAfterAFix(t *testing.T) {
	t.Parallel()
	for _, panics := range []bool{false, true} {
		name := map[bool]string{false: "refused", true: "panic"}[panics]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l := newLedger(t)
			ctx := context.Background()
			head := uint64(appendScenarios(t, l.store, l.pol, generate(5, 40, epoch, l.pol)))
			poison := head/2 + 3 // mid-page, so the page's earlier events must be kept

			fixed := projections.NewTicketStatus(l.db)
			p := l.projectorWith(buggy{Projection: fixed, at: poison, panics: panics},
				projections.NewMerchantPenalties(l.db, l.pol), projections.NewAuditTrail(l.db), projections.NewDeadlines(l.db))
			rep, err := p.Run(ctx)
			require.ErrorIs(t, err, projections.ErrStopped)
			assert.Contains(t, err.Error(), "ticket_status")

			failed := rep.Failures()
			require.Len(t, failed, 1, "only the buggy projection stops")
			f := failed[0].Failure
			assert.Equal(t, projections.TicketStatusName, failed[0].Name)
			assert.Equal(t, poison, f.Position, "reports the position")
			assert.True(t, f.Parked)
			if panics {
				assert.Contains(t, f.Reason, "panic")
			} else {
				assert.Contains(t, f.Reason, "cannot handle")
			}
			recs, err := l.store.ReadAll(ctx, poison-1, 1)
			require.NoError(t, err)
			assert.Equal(t, recs[0].ID.String(), f.EventID)
			assert.Equal(t, recs[0].Type, f.EventType)

			pos, err := l.db.Checkpoint(ctx, projections.TicketStatusName)
			require.NoError(t, err)
			if panics {
				assert.Less(t, pos, poison, "after a panic the page in memory is dropped; nothing at or after the event is stored")
			} else {
				assert.Equal(t, poison-1, pos, "everything before the event is stored, nothing after")
			}
			var maxApplied int64
			require.NoError(t, l.db.SQL.QueryRow(`SELECT coalesce(max(last_position), 0) FROM rm_ticket_status`).Scan(&maxApplied))
			assert.Less(t, uint64(maxApplied), poison)
			for _, other := range []string{projections.MerchantPenaltiesName, projections.AuditTrailName, projections.DeadlinesName} {
				pos, err := l.db.Checkpoint(ctx, other)
				require.NoError(t, err)
				assert.Equal(t, head, pos, "%s carries on", other)
			}

			parked, err := l.db.ParkedEvents(ctx)
			require.NoError(t, err)
			require.Len(t, parked, 1)
			assert.Equal(t, projections.TicketStatusName, parked[0].Projection)
			assert.Equal(t, poison, parked[0].Position)
			assert.Equal(t, f.Reason, parked[0].Reason)
			assert.Nil(t, parked[0].ResolvedAt)

			// Still broken: the next run stops at the same event again.
			_, err = p.Run(ctx)
			require.ErrorIs(t, err, projections.ErrStopped)
			again, err := l.db.Checkpoint(ctx, projections.TicketStatusName)
			require.NoError(t, err)
			assert.Equal(t, pos, again)

			// The fix is deployed: the projection resumes at the event.
			rep, err = l.projectorWith(projections.NewTicketStatus(l.db), projections.NewMerchantPenalties(l.db, l.pol),
				projections.NewAuditTrail(l.db), projections.NewDeadlines(l.db)).Run(ctx)
			require.NoError(t, err)
			assert.Empty(t, rep.Failures())
			parked, err = l.db.ParkedEvents(ctx)
			require.NoError(t, err)
			require.Len(t, parked, 1)
			assert.NotNil(t, parked[0].ResolvedAt, "the parked event is marked resolved")

			resumed := dump(t, l.db)
			cleanDB, err := openSQLite(ctx, t.TempDir()+"/clean.db")
			require.NoError(t, err)
			defer cleanDB.Close()
			_, err = projections.RunToHead(ctx, l.store, cleanDB, l.pol)
			require.NoError(t, err)
			assert.Equal(t, dump(t, cleanDB), resumed)
		})
	}
}

// TestUndecodableEventStopsEveryProjection: a record that is not an event
// stops every projection at it, parked, with the decoder's reason.
func TestUndecodableEventStopsEveryProjection(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	ctx := context.Background()
	before := uint64(appendScenarios(t, l.store, l.pol, generate(6, 10, epoch, l.pol)))
	_, err := l.store.Append(ctx, "ticket-corrupt", eventstore.NoStream(), []eventstore.EventData{{
		ID: uuid.Must(uuid.NewV7()), Type: "refund.requested", Data: []byte(`{"note":"not an envelope"}`)}})
	require.NoError(t, err)
	appendScenarios(t, l.store, l.pol, generate(7, 5, epoch.AddDate(0, 1, 0), l.pol))

	rep, err := l.projector(projections.Options{}).Run(ctx)
	require.ErrorIs(t, err, projections.ErrStopped)
	require.Len(t, rep.Failures(), len(rep.Projections))
	for _, p := range rep.Projections {
		require.NotNil(t, p.Failure, p.Name)
		assert.Equal(t, before+1, p.Failure.Position)
		assert.Equal(t, "ticket-corrupt", p.Failure.Stream)
		assert.Contains(t, p.Failure.Reason, events.ErrMalformed.Error())
		assert.Equal(t, before, p.To, "%s stops right before it", p.Name)
	}
	parked, err := l.db.ParkedEvents(ctx)
	require.NoError(t, err)
	assert.Len(t, parked, len(rep.Projections))
}
