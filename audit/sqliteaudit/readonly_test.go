package sqliteaudit_test

import (
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit/sealtest"
	"github.com/disputes-ledger/disputes/audit/sqliteaudit"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// TestOpenReadOnly: the auditor's open creates no seal table in a ledger
// never sealed, changes no byte, refuses to add, and reads what a sealer
// stored.
func TestOpenReadOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	require.NoError(t, sqlite.Init(ctx, path))
	before := testenv.LedgerFiles(t, path)
	ro, err := sqliteaudit.OpenReadOnly(ctx, path)
	require.NoError(t, err)
	got, err := ro.Seals(ctx)
	require.NoError(t, err)
	assert.Empty(t, got)
	_, ok, err := ro.LatestSeal(ctx)
	require.NoError(t, err)
	assert.False(t, ok)
	priv := sealtest.Key("a")
	sl := sealtest.Signed(t, priv, 2, "r")
	assert.ErrorIs(t, ro.AddSeal(ctx, sl, priv.Public().(ed25519.PublicKey)), sqliteaudit.ErrReadOnly)
	events, err := ro.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	assert.Empty(t, events)
	require.NoError(t, ro.Close())
	assert.Equal(t, before, testenv.LedgerFiles(t, path), "verify on a ledger never sealed writes nothing")

	rw, err := sqliteaudit.Open(ctx, path)
	require.NoError(t, err)
	require.NoError(t, rw.AddSeal(ctx, sl, priv.Public().(ed25519.PublicKey)))
	require.NoError(t, rw.Close())
	before = testenv.LedgerFiles(t, path)
	ro, err = sqliteaudit.OpenReadOnly(ctx, path)
	require.NoError(t, err)
	got, err = ro.Seals(ctx)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, sl, got[0].Seal)
	require.NoError(t, ro.Close())
	assert.Equal(t, before, testenv.LedgerFiles(t, path))
}

// TestOpenRefusesNonLedgers: neither open turns a file that is not a
// ledger into one, nor creates a missing one.
func TestOpenRefusesNonLedgers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	empty, text, missing := filepath.Join(dir, "empty.db"), filepath.Join(dir, "a.txt"), filepath.Join(dir, "none.db")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	require.NoError(t, os.WriteFile(text, []byte("not a ledger\n"), 0o644))
	for _, path := range []string{empty, text} {
		before := testenv.LedgerFiles(t, path)
		_, err := sqliteaudit.Open(ctx, path)
		assert.ErrorIs(t, err, sqlite.ErrNotLedger, path)
		_, err = sqliteaudit.OpenReadOnly(ctx, path)
		assert.ErrorIs(t, err, sqlite.ErrNotLedger, path)
		assert.Equal(t, before, testenv.LedgerFiles(t, path))
	}
	_, err := sqliteaudit.Open(ctx, missing)
	assert.ErrorIs(t, err, os.ErrNotExist)
	_, err = sqliteaudit.OpenReadOnly(ctx, missing)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.NoFileExists(t, missing)
}
