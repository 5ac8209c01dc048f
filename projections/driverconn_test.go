package projections_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/projections"
)

// TestWriteConnectionClosedByThePool: the pool closes a connection it
// gets back when it keeps no idle ones (or more than it may keep), as
// database/sql does with its default of two idle connections while readers
// hold others. The statements a write prepared on that connection's driver
// must not outlive it: finalizing one after its connection is closed
// crashes the SQLite driver (as the simulator's restarts did on Close).
// Every write of the run below returns its connection to be closed, and
// Close must then succeed, and the rows be as a build on a normal pool.
func TestWriteConnectionClosedByThePool(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := newLedger(t)
	appendScenarios(t, l.store, l.pol, generate(5, 12, epoch, l.pol))

	raw, err := sql.Open("sqlite", sqlite.RebuildableDSN(filepath.Join(t.TempDir(), "rm.db")))
	require.NoError(t, err)
	raw.SetMaxIdleConns(0) // every connection handed back is closed
	db, err := projections.NewDB(ctx, raw, projections.SQLite)
	require.NoError(t, err)
	rep, err := projections.RunToHead(ctx, l.store, db, l.pol)
	require.NoError(t, err)
	require.NotEmpty(t, rep)
	want := dump(t, db)

	clean, err := openSQLite(ctx, filepath.Join(t.TempDir(), "clean.db"))
	require.NoError(t, err)
	defer clean.Close()
	_, err = projections.RunToHead(ctx, l.store, clean, l.pol)
	require.NoError(t, err)
	assert.Equal(t, dump(t, clean), want)
	assert.NoError(t, db.Close())
}
