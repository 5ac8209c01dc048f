package projections

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/follow"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// TestPreparedRowsFollowLaterEvents folds the same events into each read
// model twice and writes them with one Flush: once straight, once with the
// rows prepared (as the runner does before its write transaction) after
// every event. Rows prepared before an event was folded must not be the
// ones written: both files hold the same rows.
func TestPreparedRowsFollowLaterEvents(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	evs := mixedEvents(t, pol)
	for _, tc := range []struct {
		name   string
		tables []string
		make   func(db *DB) Projection
	}{
		{"ticket_status", []string{"rm_ticket_status"}, func(db *DB) Projection { return NewTicketStatus(db) }},
		{"merchant_penalties", []string{"rm_penalty_facts", "rm_merchant_tickets"}, func(db *DB) Projection { return NewMerchantPenalties(db, pol) }},
		{"deadlines", []string{"rm_deadlines", "rm_deadline_tickets"}, func(db *DB) Projection { return NewDeadlines(db) }},
		{"audit_trail", []string{"rm_audit_trail"}, func(db *DB) Projection { return NewAuditTrail(db) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fold := func(prepareEach bool) map[string][]string {
				ctx := context.Background()
				db := openTestDB(t)
				proj := tc.make(db)
				for _, tbl := range proj.Schema().Tables {
					_, err := db.SQL.ExecContext(ctx, db.Dialect.Table(tbl.DDL))
					require.NoError(t, err)
				}
				for _, ev := range evs {
					require.NoError(t, proj.Apply(ctx, ev))
					if p, ok := proj.(preparer); ok && prepareEach {
						require.NoError(t, p.prepare())
					}
				}
				require.NoError(t, db.write(ctx, proj.Flush))
				proj.Committed()
				out := map[string][]string{}
				for _, tbl := range tc.tables {
					rs, err := QueryRows(ctx, db.SQL, `SELECT * FROM `+tbl+` ORDER BY 1, 2`)
					require.NoError(t, err)
					require.NotEmpty(t, rs, tbl)
					out[tbl] = rs
				}
				return out
			}
			require.Equal(t, fold(false), fold(true))
		})
	}
}

// mixedEvents are the seed disputes and generated ones, a third of them
// left open halfway (with deadlines), as the follower hands them over.
func mixedEvents(t *testing.T, pol policy.Policy) []follow.Event {
	t.Helper()
	start := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	var evs []follow.Event
	for i, sc := range append(scenarios.Seeds(start), scenarios.Generate(7, 40, start, pol)...) {
		envs, err := scenarios.Play(sc, pol, func() uuid.UUID { return uuid.Must(uuid.NewV7()) })
		require.NoError(t, err)
		if i%3 == 0 {
			envs = envs[:len(envs)/2+1] // left open, with deadlines
		}
		for _, env := range envs {
			raw, err := events.Encode(env)
			require.NoError(t, err)
			env, err = events.Decode(raw)
			require.NoError(t, err)
			evs = append(evs, follow.Event{Env: env, Record: eventstore.RecordedEvent{
				ID: env.ID, Stream: env.Stream, Revision: env.Revision, Type: env.Type, Data: raw, Position: uint64(len(evs) + 1)}})
		}
	}
	return evs
}

func openTestDB(t *testing.T) *DB {
	t.Helper()
	sqlDB, err := sql.Open("sqlite", sqlite.RebuildableDSN(filepath.Join(t.TempDir(), "read-models.db")))
	require.NoError(t, err)
	sqlDB.SetMaxOpenConns(2)
	db, err := NewDB(context.Background(), sqlDB, SQLite)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	return db
}
