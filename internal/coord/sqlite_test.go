package coord_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/disputes-ledger/disputes/internal/coord"
)

// TestSQLiteLeaseIsSharedByTheProcessesOfOneFile: two holders with their
// own connections to one file (as two processes have) — one holds the
// lease, the other learns who; a renewal keeps the token; a release or an
// expiry passes it on with a higher token.
func TestSQLiteLeaseIsSharedByTheProcessesOfOneFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	open := func(holder string) *coord.SQLiteLease {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		s, err := coord.OpenSQLite(ctx, db, holder)
		require.NoError(t, err)
		return s.Lease("scheduler", 300*time.Millisecond)
	}
	a, b := open("a"), open("b")

	token, held, _, err := a.Acquire(ctx)
	require.NoError(t, err)
	require.True(t, held)
	assert.Equal(t, uint64(1), token)
	_, held, owner, err := b.Acquire(ctx)
	require.NoError(t, err)
	assert.False(t, held, "one holder at a time")
	assert.Equal(t, "a", owner)
	renewed, held, _, err := a.Acquire(ctx)
	require.NoError(t, err)
	require.True(t, held)
	assert.Equal(t, token, renewed, "a renewal keeps the token")

	require.NoError(t, a.Release(ctx, token))
	token, held, _, err = b.Acquire(ctx)
	require.NoError(t, err)
	require.True(t, held, "released: the other takes it")
	assert.Equal(t, uint64(2), token)

	_, held, owner, err = a.Acquire(ctx)
	require.NoError(t, err)
	assert.False(t, held)
	assert.Equal(t, "b", owner)
	require.Eventually(t, func() bool {
		token, held, _, err = a.Acquire(ctx)
		return err == nil && held
	}, 5*time.Second, 20*time.Millisecond, "b stopped renewing: its grant expires and passes on")
	assert.Equal(t, uint64(3), token)
}
