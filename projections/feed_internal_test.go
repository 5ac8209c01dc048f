package projections

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"modernc.org/libc"

	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// TestRowFeedWritesWhatBindingWrites folds the same events into each read
// model twice and writes them once through the row feed and once bound as
// parameters (driverRows): every table holds the same rows, each value of
// the same SQLite type (quote() tells text '1' from integer 1).
func TestRowFeedWritesWhatBindingWrites(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	evs := mixedEvents(t, pol)
	for _, tc := range []struct {
		name string
		make func(db *DB) Projection
	}{
		{"ticket_status", func(db *DB) Projection { return NewTicketStatus(db) }},
		{"merchant_penalties", func(db *DB) Projection { return NewMerchantPenalties(db, pol) }},
		{"deadlines", func(db *DB) Projection { return NewDeadlines(db) }},
		{"audit_trail", func(db *DB) Projection { return NewAuditTrail(db) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			write := func(bind, goFeed bool) map[string][]string {
				ctx := context.Background()
				db := openTestDB(t)
				db.bindRows, db.goFeed = bind, goFeed
				proj := tc.make(db)
				for _, tbl := range proj.Schema().Tables {
					_, err := db.SQL.ExecContext(ctx, db.Dialect.Table(tbl.DDL))
					require.NoError(t, err)
				}
				// Two writes: the second updates rows the first wrote.
				half := len(evs) / 2
				for _, page := range [][]int{{0, half}, {half, len(evs)}} {
					for _, ev := range evs[page[0]:page[1]] {
						require.NoError(t, proj.Apply(ctx, ev))
					}
					require.NoError(t, db.write(ctx, proj.Flush))
					proj.Committed()
				}
				switch {
				case bind:
					require.Zero(t, db.fed)
				case goFeed:
					require.NotZero(t, db.fed, "no rows went through the feed")
					require.Zero(t, db.fedNative)
				default:
					require.NotZero(t, db.fedNative, "no rows went through the native feed")
				}
				out := map[string][]string{}
				for _, tbl := range proj.Schema().Tables {
					out[tbl.Name] = typedRows(t, db, tbl.Name)
					require.NotEmpty(t, out[tbl.Name], tbl.Name)
				}
				return out
			}
			bound := write(true, false)
			require.Equal(t, bound, write(false, true), "the Go module's feed")
			require.Equal(t, bound, write(false, false), "the native feed")
		})
	}
}

// typedRows returns the table's rows, each value quoted as SQL spells it.
func typedRows(t *testing.T, db *DB, table string) []string {
	t.Helper()
	ctx := context.Background()
	cols, err := QueryRows(ctx, db.SQL, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
	require.NoError(t, err)
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = "quote(" + strings.TrimPrefix(c, "name=") + ")"
	}
	rows, err := QueryRows(ctx, db.SQL, `SELECT `+strings.Join(quoted, ` || '|' || `)+` FROM `+table+` ORDER BY 1`)
	require.NoError(t, err)
	return rows
}

// TestFeedableValues: the feed takes only the values it stores as a bind
// does; a write holding another goes through binding, whose rows are the
// same as database/sql's.
func TestFeedableValues(t *testing.T) {
	for _, tc := range []struct {
		vals []any
		want bool
	}{
		{[]any{nil, int64(1), 1.5, true, "x", []byte("b"), []byte{}}, true},
		{[]any{"x", time.Unix(0, 0)}, false}, // a bind formats it as text, the feed would store seconds
		{[]any{[]byte(nil)}, false},          // a bind stores NULL, the feed an empty blob
		{[]any{1}, false},                    // database/sql converts it first
		{[]any{}, true},
	} {
		assert.Equal(t, tc.want, feedable(tc.vals), "%#v", tc.vals)
	}
}

// TestRowFeedFallsBackToBinding: a write whose rows hold a value the feed
// does not take binds them instead, with the same outcome.
func TestRowFeedFallsBackToBinding(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	_, err := db.SQL.ExecContext(ctx, `CREATE TABLE t (a TEXT, b TIMESTAMPTZ, c INTEGER)`)
	require.NoError(t, err)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rs := rows{cols: 3, vals: []any{"plain", "2026-01-02", int64(1), "timed", at, int64(2)}}
	require.NoError(t, db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return chunked(ctx, tx, db, `INSERT INTO t (a, b, c)`, ``, 128, &rs)
	}))
	want, err := QueryRows(ctx, db.SQL, `SELECT a, typeof(b) AS b, c FROM t ORDER BY c`)
	require.NoError(t, err)
	assert.Equal(t, []string{"a=plain b=text c=1", "a=timed b=text c=2"}, want)
	assert.Zero(t, db.fed)
}

// TestRowFeedRefusesOtherUses: the feed's table is read by key only, holds
// no rows but a write's in progress, and a database file cannot declare
// one of its own (a hostile file reaching the process's pending rows).
func TestRowFeedRefusesOtherUses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	conn, err := db.SQL.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `CREATE VIRTUAL TABLE IF NOT EXISTS `+feedTable+` USING `+feedModuleName)
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, `SELECT c0 FROM `+feedTable)
	assert.ErrorContains(t, err, "by key only")
	_, err = conn.ExecContext(ctx, `SELECT c0 FROM `+feedTable+` WHERE feed = 12345678`)
	assert.ErrorContains(t, err, "no rows fed under key")
	_, err = conn.ExecContext(ctx, `CREATE VIRTUAL TABLE main.stolen USING `+feedModuleName)
	assert.ErrorContains(t, err, "temp schema only")

	// A file declaring one (written without the module's refusal) cannot use it either.
	path := filepath.Join(t.TempDir(), "hostile.db")
	raw, err := sql.Open("sqlite", sqlite.RebuildableDSN(path))
	require.NoError(t, err)
	defer raw.Close()
	_, err = raw.ExecContext(ctx, `PRAGMA writable_schema = ON`)
	require.NoError(t, err)
	_, err = raw.ExecContext(ctx, `CREATE TABLE stolen (x)`)
	require.NoError(t, err)
	_, err = raw.ExecContext(ctx, `UPDATE sqlite_schema SET sql = 'CREATE VIRTUAL TABLE stolen USING `+feedModuleName+`' WHERE name = 'stolen'`)
	require.NoError(t, err)
	require.NoError(t, raw.Close())
	hostile, err := sql.Open("sqlite", sqlite.RebuildableDSN(path))
	require.NoError(t, err)
	defer hostile.Close()
	_, err = hostile.ExecContext(ctx, `SELECT c0 FROM stolen WHERE feed = 1`)
	assert.ErrorContains(t, err, "temp schema only")
}

// TestNativeFeedRefusesOtherUses: the native feed's table, once its module
// is on a connection, is read by key only and holds no rows but a write's
// in progress; it lives in the temp schema only and cannot be read from a
// trigger or a view (SQLITE_VTAB_DIRECTONLY), as the Go module's.
func TestNativeFeedRefusesOtherUses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	conn, err := db.SQL.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.Raw(func(dc any) error {
		handle, ok := connHandle(dc)
		require.True(t, ok, "the driver connection's handle")
		tls := libc.NewTLS()
		defer tls.Close()
		return createNativeFeed(ctx, tls, handle, dc.(driver.ConnPrepareContext))
	}))
	for _, q := range []string{
		`SELECT c0 FROM ` + nativeFeedTable,
		`SELECT c0 FROM ` + nativeFeedTable + ` WHERE feed = 12345678`,
		`SELECT c0 FROM ` + nativeFeedTable + ` WHERE feed = 0`,
		`CREATE VIRTUAL TABLE main.stolen USING ` + nativeFeedModuleName,
	} {
		_, err = conn.ExecContext(ctx, q)
		assert.Error(t, err, q)
	}
	_, err = conn.ExecContext(ctx, `CREATE TABLE leak (c0)`)
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, `CREATE TEMP VIEW peek AS SELECT c0 FROM `+nativeFeedTable+` WHERE feed = 1`)
	if err == nil {
		_, err = conn.ExecContext(ctx, `SELECT * FROM peek`)
	}
	assert.Error(t, err, "a view cannot read the feed")
	_, err = conn.ExecContext(ctx, `CREATE TEMP TRIGGER spy AFTER INSERT ON leak BEGIN INSERT INTO leak SELECT c0 FROM `+nativeFeedTable+` WHERE feed = 1; END`)
	if err == nil {
		_, err = conn.ExecContext(ctx, `INSERT INTO leak VALUES (1)`)
	}
	assert.Error(t, err, "a trigger cannot read the feed")
}
