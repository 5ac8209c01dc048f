package coord_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/disputes-ledger/disputes/internal/coord"
)

func TestHighWaterRefusesALowerToken(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "rm.db"))
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	require.NoError(t, coord.CreateFences(ctx, db))
	require.NoError(t, coord.CreateFences(ctx, db), "creating twice is harmless")
	write := func(token uint64) error {
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		if err := coord.HighWater(func(s string) string { return s }, "projector", token)(ctx, tx); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	assert.NoError(t, write(1))
	assert.NoError(t, write(1), "the same owner writes again")
	assert.NoError(t, write(3), "a newer owner writes")
	assert.ErrorIs(t, write(2), coord.ErrFenced, "an older owner is refused after a newer wrote")
	assert.ErrorIs(t, write(1), coord.ErrFenced)
	assert.NoError(t, write(3))
}

func TestLocalLeaseIsHeldAndRaisesItsTokenAfterRelease(t *testing.T) {
	ctx := context.Background()
	l := coord.NewLocal().Lease("sealer")
	token, held, _, err := l.Acquire(ctx)
	require.NoError(t, err)
	assert.True(t, held)
	again, _, _, _ := l.Acquire(ctx)
	assert.Equal(t, token, again)
	require.NoError(t, l.Release(ctx, token))
	next, held, _, _ := l.Acquire(ctx)
	assert.True(t, held)
	assert.Equal(t, token+1, next)
}
