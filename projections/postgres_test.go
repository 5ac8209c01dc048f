package projections_test

import (
	"context"
	"database/sql"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/internal/testenv"
	"github.com/disputes-ledger/disputes/projections"
)

// postgresDB returns read models in a fresh PostgreSQL schema.
func postgresDB(t *testing.T) *projections.DB {
	t.Helper()
	connString, _ := testenv.PostgresSchema(t)
	pool, err := sql.Open("pgx", connString)
	require.NoError(t, err)
	t.Cleanup(func() { _ = pool.Close() })
	pg, err := projections.NewDB(context.Background(), pool, projections.Postgres)
	require.NoError(t, err)
	return pg
}

// TestPostgresReadModelsEqualSQLite writes the read models of one ledger to
// PostgreSQL and to SQLite with the same projections, and checks the rows
// and the scores agree: the SQL is written once for both.
func TestPostgresReadModelsEqualSQLite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := postgresDB(t)

	l := newLedger(t)
	scs := append(scenarios.Seeds(epoch), generate(31, 60, epoch, l.pol)...)
	appendScenarios(t, l.store, l.pol, scs[:30])
	l.runToHead(t)
	_, err := projections.RunToHead(ctx, l.store, pg, l.pol)
	require.NoError(t, err)
	appendScenarios(t, l.store, l.pol, scs[30:])                                         // a second, incremental run
	appendOpenings(t, l.store, l.pol, generate(32, 10, epoch.AddDate(0, 0, 200), l.pol)) // open deadlines
	l.runToHead(t)
	rep, err := projections.NewProjector(l.store, pg, projections.Default(pg, l.pol), projections.Options{PageSize: 50}).Run(ctx)
	require.NoError(t, err)
	require.Len(t, rep.Projections, 4)

	want, got := dump(t, l.db), dump(t, pg)
	for _, table := range append(readModelTables, "checkpoints") {
		sort.Strings(want[table]) // the two order text differently
		sort.Strings(got[table])
		require.NotEmpty(t, want[table], table)
		assert.Equal(t, want[table], got[table], table)
	}
	end := epoch.Add(200 * 24 * time.Hour)
	wantScores, err := projections.Scores(ctx, l.db, end, l.pol)
	require.NoError(t, err)
	gotScores, err := projections.Scores(ctx, pg, end, l.pol)
	require.NoError(t, err)
	assert.Equal(t, wantScores, gotScores)
	wantRows, err := projections.Tickets(ctx, l.db, projections.TicketFilter{MerchantID: wantScores[0].MerchantID})
	require.NoError(t, err)
	gotRows, err := projections.Tickets(ctx, pg, projections.TicketFilter{MerchantID: wantScores[0].MerchantID})
	require.NoError(t, err)
	assert.Equal(t, wantRows, gotRows)

	// The scheduler's reads agree too: the due deadlines page by page, and the next one.
	for _, now := range []time.Time{epoch, end, end.AddDate(1, 0, 0)} {
		wantDue, err := projections.DueDeadlines(ctx, l.db, now, projections.OpenDeadline{}, 1000)
		require.NoError(t, err)
		gotDue, err := projections.DueDeadlines(ctx, pg, now, projections.OpenDeadline{}, 1000)
		require.NoError(t, err)
		assert.Equal(t, wantDue, gotDue, "due by %s", now)
		if len(wantDue) > 2 {
			page, err := projections.DueDeadlines(ctx, pg, now, wantDue[1], 1000)
			require.NoError(t, err)
			assert.Equal(t, wantDue[2:], page, "after the second")
		}
		wantNext, wantOK, err := projections.NextDeadlineAfter(ctx, l.db, now)
		require.NoError(t, err)
		gotNext, gotOK, err := projections.NextDeadlineAfter(ctx, pg, now)
		require.NoError(t, err)
		assert.Equal(t, wantOK, gotOK)
		assert.True(t, wantNext.Equal(gotNext), "next after %s: %s, %s", now, wantNext, gotNext)
	}
	due, err := projections.DueDeadlines(ctx, pg, end.AddDate(1, 0, 0), projections.OpenDeadline{}, 1000)
	require.NoError(t, err)
	assert.Len(t, due, 10, "the ten tickets left open each wait for their merchant")
}

// TestPostgresReadModelColumnTypes checks the read models' PostgreSQL
// columns are typed for BI tools: times timestamptz, flags boolean, counts
// and money bigint; nothing that holds a time or a flag is text.
func TestPostgresReadModelColumnTypes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := postgresDB(t)
	l := newLedger(t)
	appendScenarios(t, l.store, l.pol, scenarios.Seeds(epoch))
	_, err := projections.RunToHead(ctx, l.store, pg, l.pol)
	require.NoError(t, err)

	rows, err := pg.SQL.QueryContext(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name LIKE 'rm\_%'`)
	require.NoError(t, err)
	defer rows.Close()
	types := map[string]string{}
	for rows.Next() {
		var table, column, typ string
		require.NoError(t, rows.Scan(&table, &column, &typ))
		types[table+"."+column] = typ
	}
	require.NoError(t, rows.Err())
	for col, want := range map[string]string{
		"rm_ticket_status.opened_at":            "timestamp with time zone",
		"rm_ticket_status.next_deadline_at":     "timestamp with time zone",
		"rm_ticket_status.closed_at":            "timestamp with time zone",
		"rm_ticket_status.locked":               "boolean",
		"rm_ticket_status.sla_breached":         "boolean",
		"rm_ticket_status.order_shipped":        "boolean",
		"rm_ticket_status.amount_paid":          "bigint",
		"rm_ticket_status.status":               "text",
		"rm_penalty_facts.occurred_at":          "timestamp with time zone",
		"rm_penalty_facts.reversed_at":          "timestamp with time zone",
		"rm_penalty_facts.points":               "bigint",
		"rm_merchant_tickets.finalized_at":      "timestamp with time zone",
		"rm_merchant_tickets.first_response_ms": "bigint",
		"rm_audit_trail.occurred_at":            "timestamp with time zone",
		"rm_checkpoints.updated_at":             "timestamp with time zone",
		"rm_parked.parked_at":                   "timestamp with time zone",
	} {
		assert.Equal(t, want, types[col], col)
	}
	for col, typ := range types {
		if typ == "text" && (strings.HasSuffix(col, "_at") || strings.HasSuffix(col, ".locked")) {
			t.Errorf("%s is text", col)
		}
	}
}
