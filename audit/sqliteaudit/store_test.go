package sqliteaudit_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit/sqliteaudit"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

func TestReadAllShowsGaps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	store, err := sqlite.Open(ctx, path, sqlite.Config{})
	require.NoError(t, err)
	for i := range 5 {
		_, err := store.Append(ctx, "s", eventstore.Any(), []eventstore.EventData{{ID: uuid.New(), Type: "t", Revision: uint64(i), Data: []byte{byte(i)}}})
		require.NoError(t, err)
	}
	require.NoError(t, store.Close())
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(t, err)
	_, err = db.Exec(`DELETE FROM events WHERE position = 3`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	raw, err := sqliteaudit.Open(ctx, path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = raw.Close() })
	all, err := raw.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	var positions []uint64
	for _, e := range all {
		positions = append(positions, e.Position)
	}
	assert.Equal(t, []uint64{1, 2, 4, 5}, positions)
	page, err := raw.ReadAll(ctx, 2, 1)
	require.NoError(t, err)
	require.Len(t, page, 1)
	assert.Equal(t, uint64(4), page[0].Position)
	assert.Equal(t, []byte{3}, page[0].Data)
}

func TestOpenRejectsBadPath(t *testing.T) {
	t.Parallel()
	_, err := sqliteaudit.Open(context.Background(), "a?b")
	assert.Error(t, err)
}
