package projections

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// TestNativeFeedRowsOutliveItsBuffer: the native feed hands SQLite
// pointers into one C buffer per database (SQLITE_STATIC), which the next
// write reuses, overwrites, or frees and grows. Whatever SQLite made of a
// row (the table's record, an index on an expression of it, an upsert's
// excluded values, what a trigger of the file copied elsewhere) must be
// its own copy: several databases write at once, each many times with
// texts that grow and shrink, two goroutines per database, and every row
// reads back as written.
func TestNativeFeedRowsOutliveItsBuffer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const dbs, writers, writes, keys = 3, 2, 12, 40
	text := func(d, w, i, k int) string {
		// From a few bytes to some 40 KB and back, so the buffer grows
		// (freed and allocated again) and is overwritten by shorter texts.
		n := 1 + (i*7919+k*31)%(1<<(3+i%12))
		return fmt.Sprintf("d%d-w%d-i%d-k%d:", d, w, i, k) + strings.Repeat(string(rune('a'+(i+k)%26)), n)
	}
	var wg sync.WaitGroup
	for d := range dbs {
		db := openTestDB(t)
		for _, s := range []string{
			`CREATE TABLE v (k INTEGER PRIMARY KEY, w INTEGER, t TEXT, b BLOB) STRICT`,
			`CREATE INDEX v_upper ON v (upper(t))`,
			`CREATE TABLE copied (k INTEGER, t TEXT, b BLOB) STRICT`,
			`CREATE TRIGGER copy AFTER INSERT ON v BEGIN INSERT INTO copied VALUES (new.k, new.t, new.b); END`,
			`CREATE TRIGGER copy_update AFTER UPDATE ON v BEGIN INSERT INTO copied VALUES (new.k, new.t, new.b); END`,
		} {
			_, err := db.SQL.ExecContext(ctx, s)
			require.NoError(t, err, s)
		}
		for w := range writers {
			wg.Go(func() {
				for i := range writes {
					rs := rows{cols: 4}
					for k := range keys {
						s := text(d, w, i, k)
						rs.vals = append(rs.vals, int64(k), int64(w), s, []byte(strings.ToUpper(s)))
					}
					err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
						return chunked(ctx, tx, db, `INSERT INTO v (k, w, t, b)`,
							` ON CONFLICT (k) DO UPDATE SET w = excluded.w, t = excluded.t || '', b = excluded.b`, 128, &rs)
					})
					assert.NoError(t, err)
				}
			})
		}
		t.Cleanup(func() {
			assert.NotZero(t, db.fedNative, "the rows went through the native feed")
			var n int
			require.NoError(t, db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM v`).Scan(&n))
			assert.Equal(t, keys, n)
			rs, err := db.SQL.QueryContext(ctx, `SELECT k, w, t, b, upper(t) = CAST(b AS TEXT) FROM v ORDER BY k`)
			require.NoError(t, err)
			defer rs.Close()
			for rs.Next() {
				var (
					k, w    int
					s       string
					b       []byte
					matches bool
				)
				require.NoError(t, rs.Scan(&k, &w, &s, &b, &matches))
				assert.Equal(t, text(d, w, writes-1, k), s, "row %d of database %d", k, d)
				assert.True(t, matches, "row %d of database %d: blob and text disagree", k, d)
			}
			require.NoError(t, rs.Err())
			// Every copy the trigger made is a text some write wrote.
			cs, err := db.SQL.QueryContext(ctx, `SELECT k, t, b FROM copied`)
			require.NoError(t, err)
			defer cs.Close()
			copies := 0
			for cs.Next() {
				var (
					k int
					s string
					b []byte
				)
				require.NoError(t, cs.Scan(&k, &s, &b))
				copies++
				assert.Equal(t, strings.ToUpper(s), string(b))
				var dd, ww, ii, kk int
				_, err := fmt.Sscanf(s, "d%d-w%d-i%d-k%d:", &dd, &ww, &ii, &kk)
				require.NoError(t, err, s)
				assert.Equal(t, text(dd, ww, ii, kk), s)
				assert.Equal(t, []int{d, k}, []int{dd, kk})
			}
			assert.Equal(t, writers*writes*keys, copies)
		})
	}
	wg.Wait()
}

// TestAHostileReadModelFileCannotReachTheNativeFeed is
// TestAHostileReadModelFileCannotReachTheFeed for the native feed's table:
// a trigger or view of the file naming it gets none of the rows in flight.
func TestAHostileReadModelFileCannotReachTheNativeFeed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, tc := range map[string]struct {
		setup  []string
		schema map[string]string
	}{
		"a table of the module named temp.": {
			setup:  []string{`CREATE TABLE stolen (x)`},
			schema: map[string]string{"stolen": `CREATE VIRTUAL TABLE temp.stolen USING ` + nativeFeedModuleName},
		},
		"a table of the module in the file": {
			setup:  []string{`CREATE TABLE stolen (x)`},
			schema: map[string]string{"stolen": `CREATE VIRTUAL TABLE stolen USING ` + nativeFeedModuleName},
		},
		"a trigger reading the feed": {
			setup: []string{`CREATE TABLE leak (key, c0, c1)`, `CREATE TABLE rows (k, v)`,
				`CREATE TRIGGER spy AFTER INSERT ON rows BEGIN INSERT INTO leak SELECT 1, 1, 1; END`},
			schema: map[string]string{"spy": `CREATE TRIGGER spy AFTER INSERT ON rows BEGIN
				INSERT INTO leak SELECT new.k, c0, c1 FROM ` + nativeFeedTable + ` WHERE feed = new.k; END`},
		},
		"a trigger reading a table of that name": {
			setup: []string{`CREATE TABLE leak (key, c0, c1)`, `CREATE TABLE rows (k, v)`,
				`CREATE TRIGGER spy AFTER INSERT ON rows BEGIN INSERT INTO leak SELECT 1, 1, 1; END`},
			schema: map[string]string{"spy": `CREATE TRIGGER spy AFTER INSERT ON rows BEGIN
				INSERT INTO leak SELECT new.k, c0, c1 FROM rm_row_feed_native WHERE feed = new.k; END`},
		},
		"a view of the feed": {
			setup:  []string{`CREATE TABLE leak (key, c0, c1)`, `CREATE TABLE rows (k, v)`, `CREATE VIEW peek AS SELECT 1 AS c0`},
			schema: map[string]string{"peek": `CREATE VIEW peek AS SELECT c0, c1 FROM ` + nativeFeedTable + ` WHERE feed = 1`},
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
				assert.ErrorContains(t, err, "malformed database schema")
				return
			}
			var vals []any
			for k := range 64 {
				vals = append(vals, int64(k), fmt.Sprintf("secret-%d", k))
			}
			rs := rows{cols: 2, vals: vals}
			werr := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
				return chunked(ctx, tx, db, `INSERT INTO rows (k, v)`, ``, 128, &rs)
			})
			t.Logf("the write: %v (native: %d)", werr, db.fedNative)
			if _, err := db.SQL.ExecContext(ctx, `SELECT * FROM peek`); err == nil {
				t.Error("the view of the feed could be read")
			}
			if _, err := db.SQL.ExecContext(ctx, `SELECT * FROM stolen`); err == nil {
				t.Error("the file's table of the module could be read")
			}
			leaked, err := QueryRows(ctx, db.SQL, `SELECT count(*) AS n FROM leak WHERE c0 IS NOT 1`)
			if err == nil {
				assert.Equal(t, []string{"n=0"}, leaked, "rows of the feed reached the file (write error: %v)", werr)
			}
		})
	}
}
