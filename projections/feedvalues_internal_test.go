package projections

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// feedValueKinds are values of every kind the feed takes, at their edges.
var feedValueKinds = []any{
	nil,
	int64(0), int64(1), int64(-1), int64(math.MaxInt64), int64(math.MinInt64), int64(1 << 53), int64(1<<53 + 1),
	0.0, math.Copysign(0, -1), 0.5, 3.0, -2.5, 1e308, math.SmallestNonzeroFloat64, 9.223372036854775807e18,
	math.Inf(1), math.Inf(-1), math.NaN(),
	true, false,
	"", " ", "0", "1", "-1", " 12 ", "12abc", "1e3", "3.0", "0x10", "NULL", "null",
	"héllo", "日本語の文字", "emoji 🎉", "\u202Eright-to-left", "a\x00b", "\x00", "\xff\xfe not UTF-8",
	"2026-12-03T14:00:00Z", "2026-12-03 14:00:00",
	strings.Repeat("long ", 20000),
	[]byte{}, []byte("x"), []byte{0}, []byte{0xff, 0x00, 0x01}, []byte("12"),
}

// TestRowFeedStoresEveryValueKindAsBindingDoes: each value the feed takes,
// in a column of every declared type SQLite knows (each with its own
// affinity, and none), is stored through the feed as bound as a parameter:
// same type, same value (quote() and hex() tell them apart), same error.
func TestRowFeedStoresEveryValueKindAsBindingDoes(t *testing.T) {
	t.Parallel()
	require.True(t, feedable(feedValueKinds), "the feed takes them all")
	const ddl = `(k INTEGER, t TEXT, i INTEGER, r REAL, b BLOB, n NUMERIC, x, ts TIMESTAMPTZ, d DATETIME, bo BOOLEAN)`
	cols := []string{"t", "i", "r", "b", "n", "x", "ts", "d", "bo"}
	write := func(bind, goFeed bool, vals []any) ([]string, error) {
		ctx := context.Background()
		db := openTestDB(t)
		db.bindRows, db.goFeed = bind, goFeed
		_, err := db.SQL.ExecContext(ctx, `CREATE TABLE v `+ddl)
		require.NoError(t, err)
		rs := rows{cols: 1 + len(cols)}
		for k, v := range vals {
			rs.vals = append(rs.vals, int64(k))
			for range cols {
				rs.vals = append(rs.vals, v)
			}
		}
		err = db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			return chunked(ctx, tx, db, `INSERT INTO v (k, `+strings.Join(cols, ", ")+`)`, ``, 128, &rs)
		})
		switch {
		case bind:
			require.Zero(t, db.fed)
		case err != nil:
		case goFeed:
			require.NotZero(t, db.fed, "the rows went through the feed")
			require.Zero(t, db.fedNative)
		default:
			require.NotZero(t, db.fedNative, "the rows went through the native feed")
		}
		if err != nil {
			return nil, err
		}
		var shown []string
		for _, c := range cols {
			shown = append(shown, fmt.Sprintf("typeof(%[1]s) || ':' || quote(%[1]s) || ':' || hex(%[1]s)", c))
		}
		out, err := QueryRows(ctx, db.SQL, `SELECT k, `+strings.Join(shown, ` || ' | ' || `)+` AS v FROM v ORDER BY k`)
		require.NoError(t, err)
		return out, nil
	}
	// All at once, and each alone (an error names one value).
	bound, berr := write(true, false, feedValueKinds)
	require.NoError(t, berr)
	for _, goFeed := range []bool{true, false} {
		fed, ferr := write(false, goFeed, feedValueKinds)
		require.NoError(t, ferr)
		require.Len(t, fed, len(feedValueKinds))
		for i := range bound {
			assert.Equal(t, bound[i], fed[i], "value %#v, Go module's feed %v", feedValueKinds[i], goFeed)
		}
	}
}

// TestRowFeedIntoStrictTablesRefusesAsBindingDoes: a STRICT table (the
// read models' on SQLite) refuses a value of another type through the feed
// exactly when it refuses it bound.
func TestRowFeedIntoStrictTablesRefusesAsBindingDoes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, typ := range []string{"TEXT", "INTEGER", "REAL", "BLOB", "ANY"} {
		write := func(bind, goFeed bool) (out []string) {
			db := openTestDB(t)
			db.bindRows, db.goFeed = bind, goFeed
			for i, v := range feedValueKinds {
				table := fmt.Sprintf("s%d", i)
				_, err := db.SQL.ExecContext(ctx, `CREATE TABLE `+table+` (c `+typ+`) STRICT`)
				require.NoError(t, err)
				rs := rows{cols: 1, vals: []any{v}}
				if err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
					return chunked(ctx, tx, db, `INSERT INTO `+table+` (c)`, ``, 128, &rs)
				}); err != nil {
					out = append(out, "refused")
					continue
				}
				got, err := QueryRows(ctx, db.SQL, `SELECT typeof(c) || ':' || quote(c) AS v FROM `+table)
				require.NoError(t, err)
				out = append(out, strings.Join(got, ""))
			}
			return out
		}
		bound, fed, native := write(true, false), write(false, true), write(false, false)
		for i := range bound {
			assert.Equal(t, bound[i], fed[i], "%s %#v", typ, feedValueKinds[i])
			assert.Equal(t, bound[i], native[i], "native: %s %#v", typ, feedValueKinds[i])
		}
	}
}

// hostileFile writes a SQLite file at path whose schema holds stmts as
// they are, written past SQLite's own checks (writable_schema), as an
// operator editing the read-model file could.
func hostileFile(t *testing.T, path string, setup []string, schema map[string]string) {
	t.Helper()
	ctx := context.Background()
	raw, err := sql.Open("sqlite", sqlite.RebuildableDSN(path))
	require.NoError(t, err)
	defer raw.Close()
	for _, s := range setup {
		_, err := raw.ExecContext(ctx, s)
		require.NoError(t, err, s)
	}
	_, err = raw.ExecContext(ctx, `PRAGMA writable_schema = ON`)
	require.NoError(t, err)
	for name, text := range schema {
		_, err = raw.ExecContext(ctx, `UPDATE sqlite_schema SET sql = ? WHERE name = ?`, text, name)
		require.NoError(t, err)
	}
	require.NoError(t, raw.Close())
}

// TestAHostileReadModelFileCannotReachTheFeed: a read-model file that
// declares the feed's table under the temp schema's name, or reads it from
// a trigger that fires on the rows the feed writes or from a view, gets
// none of the rows in flight: the trigger's statement fails, and with it
// the write (the operator's file refusing to be written is theirs to
// mend), the view cannot be read, and no row of the feed reaches a table
// of the file's.
func TestAHostileReadModelFileCannotReachTheFeed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, tc := range map[string]struct {
		setup  []string
		schema map[string]string
	}{
		"a table of the module named temp.": {
			setup:  []string{`CREATE TABLE stolen (x)`},
			schema: map[string]string{"stolen": `CREATE VIRTUAL TABLE temp.stolen USING ` + feedModuleName},
		},
		"a trigger reading the feed": {
			setup: []string{`CREATE TABLE leak (key, c0, c1)`, `CREATE TABLE rows (k, v)`,
				`CREATE TRIGGER spy AFTER INSERT ON rows BEGIN INSERT INTO leak SELECT 1, 1, 1; END`},
			schema: map[string]string{"spy": `CREATE TRIGGER spy AFTER INSERT ON rows BEGIN
				INSERT INTO leak SELECT new.k, c0, c1 FROM temp.rm_row_feed WHERE feed = new.k; END`},
		},
		"a trigger reading a table of that name": {
			setup: []string{`CREATE TABLE leak (key, c0, c1)`, `CREATE TABLE rows (k, v)`,
				`CREATE TRIGGER spy AFTER INSERT ON rows BEGIN INSERT INTO leak SELECT 1, 1, 1; END`},
			schema: map[string]string{"spy": `CREATE TRIGGER spy AFTER INSERT ON rows BEGIN
				INSERT INTO leak SELECT new.k, c0, c1 FROM rm_row_feed WHERE feed = new.k; END`},
		},
		"a view of the feed": {
			setup:  []string{`CREATE TABLE leak (key, c0, c1)`, `CREATE TABLE rows (k, v)`, `CREATE VIEW peek AS SELECT 1 AS c0`},
			schema: map[string]string{"peek": `CREATE VIEW peek AS SELECT c0, c1 FROM temp.rm_row_feed WHERE feed = 1`},
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hostile.db")
			hostileFile(t, path, tc.setup, tc.schema)
			sqlDB, err := sql.Open("sqlite", sqlite.RebuildableDSN(path))
			require.NoError(t, err)
			db := Existing(sqlDB, SQLite)
			defer db.Close()
			_, err = db.SQL.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS rows (k, v)`)
			if err != nil {
				// SQLite refuses a file whose schema has an object outside
				// the temp schema refer to it: it does not open at all.
				assert.ErrorContains(t, err, "malformed database schema")
				return
			}
			// The feed's keys count up from 1 in this process: the spy
			// tries its own row's k as the key, and other writes' keys.
			var vals []any
			for k := range 64 {
				vals = append(vals, int64(k), fmt.Sprintf("secret-%d", k))
			}
			rs := rows{cols: 2, vals: vals}
			werr := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
				return chunked(ctx, tx, db, `INSERT INTO rows (k, v)`, ``, 128, &rs)
			})
			t.Logf("the write: %v", werr)
			if _, err := db.SQL.ExecContext(ctx, `SELECT * FROM peek`); err == nil {
				t.Error("the view of the feed could be read")
			}
			leaked, err := QueryRows(ctx, db.SQL, `SELECT count(*) AS n FROM leak`)
			if err == nil {
				assert.Equal(t, []string{"n=0"}, leaked, "rows of the feed reached the file (write error: %v)", werr)
			}
		})
	}
}
