package sqliteaudit

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tableStore is a Store over a fresh file holding only table t, whose one
// column v keeps every value in the class it was given.
func tableStore(t *testing.T, values ...any) *Store {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "t.db"))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, db.Close()) })
	_, err = db.ExecContext(ctx, `CREATE TABLE t (n INTEGER PRIMARY KEY, v)`)
	require.NoError(t, err)
	for i, v := range values {
		_, err := db.ExecContext(ctx, `INSERT INTO t (n, v) VALUES (?, ?)`, i+1, v)
		require.NoError(t, err)
	}
	return &Store{db: db}
}

// An event's data is the blob the driver handed over for its row, not
// copied again (ReadAllStrays): that is only right while reading the next
// rows, and closing them, leaves the blobs already handed over as they
// were. A driver that reused one buffer from row to row would fail this.
func TestRowsKeepNoBufferOfTheDrivers(t *testing.T) {
	t.Parallel()
	var want []any
	for i := range 50 {
		want = append(want, []byte(fmt.Sprintf("blob %d of the rows, long enough to be worth a buffer", i)), fmt.Sprintf("text %d", i))
	}
	s := tableStore(t, want...)
	var kept []any
	err := s.queryRows(context.Background(), `SELECT v FROM t ORDER BY n`, nil, func(row []driver.Value) error {
		kept = append(kept, row[0])
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, want, kept)
}

// bytesOf reads a value of any storage class as database/sql scans it
// into sql.RawBytes: a column of the ledger stored in another class than
// it declares reads the same as before the driver's values were read
// directly.
func TestBytesOfIsWhatRawBytesScans(t *testing.T) {
	t.Parallel()
	values := []any{[]byte{0, 1, 2, 0xff}, "text", int64(-42), int64(1234567890123456), 2.5, 1e300, nil, []byte{}, ""}
	s := tableStore(t, values...)
	ctx := context.Background()
	var scanned [][]byte
	rows, err := s.db.QueryContext(ctx, `SELECT v FROM t ORDER BY n`)
	require.NoError(t, err)
	for rows.Next() {
		var raw sql.RawBytes
		require.NoError(t, rows.Scan(&raw))
		scanned = append(scanned, append([]byte(nil), raw...))
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	var got [][]byte
	require.NoError(t, s.queryRows(ctx, `SELECT v FROM t ORDER BY n`, nil, func(row []driver.Value) error {
		got = append(got, bytesOf(row[0]))
		return nil
	}))
	require.Len(t, got, len(values))
	for i := range values {
		assert.Equal(t, string(scanned[i]), string(got[i]), "value %d (%T %v)", i, values[i], values[i])
	}
}
