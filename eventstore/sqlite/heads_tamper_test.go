package sqlite_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/backendtest"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// TestWritersMemoryHidesNoDeletedRow: an operator deletes rows behind a
// running writer, which still remembers the stream's head and the log's
// last position. An append that continues the remembered head may then
// land without a read, but it never fills the hole: the deleted revision
// stays missing, which verify's chain check names (audit's
// TestTamperDeleteEvent), and no kept row is moved. (A deleted last row's
// position is taken by the next append, as SQLite numbers rows; the gap in
// the stream's revisions, and a seal over that position, still show it.)
func TestWritersMemoryHidesNoDeletedRow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		deleted uint64 // the revision the operator deletes
	}{
		{"the head", 2},
		{"below the head", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s, path := openStore(t, sqlite.Config{})
			_, err := s.Append(ctx, "s", eventstore.NoStream(), backendtest.Events(0, 3))
			require.NoError(t, err)
			before, err := s.ReadStream(ctx, "s", 0, 10)
			require.NoError(t, err)
			require.Len(t, before, 3)

			db, err := sql.Open("sqlite", sqlite.DSN(path))
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })
			_, err = db.ExecContext(ctx, `DELETE FROM events WHERE stream = ? AND revision = ?`, "s", tc.deleted)
			require.NoError(t, err)

			res, err := s.Append(ctx, "s", eventstore.Exact(2), backendtest.Events(3, 1))
			require.NoError(t, err, "the append continues the head the writer remembers")
			assert.Equal(t, uint64(3), res.NextExpected, "the revision the append wrote")

			after, err := s.ReadStream(ctx, "s", 0, 10)
			require.NoError(t, err)
			var revs, positions []uint64
			for _, e := range after {
				revs = append(revs, e.Revision)
				positions = append(positions, e.Position)
			}
			var wantRevs, wantPositions []uint64
			for _, e := range before {
				if e.Revision != tc.deleted {
					wantRevs = append(wantRevs, e.Revision)
					wantPositions = append(wantPositions, e.Position)
				}
			}
			assert.Equal(t, append(wantRevs, 3), revs, "the deleted revision stays missing")
			assert.Equal(t, wantPositions, positions[:len(positions)-1], "no kept row moved")
		})
	}
}
