package sqliteaudit_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/sqliteaudit"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/merkle"
	"github.com/disputes-ledger/disputes/seal"
)

var at = time.Date(2026, 11, 2, 9, 0, 0, 123456789, time.UTC)

func key(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(label))
	return ed25519.NewKeyFromSeed(seed[:])
}

func signed(t *testing.T, priv ed25519.PrivateKey, size uint64, rootLabel string) seal.Seal {
	t.Helper()
	s, err := seal.Sign(priv, size, merkle.Hash(sha256.Sum256([]byte(rootLabel))), at.Add(time.Duration(size)*time.Second))
	require.NoError(t, err)
	return s
}

func open(t *testing.T, path string) *sqliteaudit.Store {
	t.Helper()
	s, err := sqliteaudit.Open(context.Background(), path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestSealsRoundTripAndPersist(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	priv := key("a")
	pub := priv.Public().(ed25519.PublicKey)
	s := open(t, path)

	_, ok, err := s.LatestSeal(ctx)
	require.NoError(t, err)
	assert.False(t, ok)

	want := []seal.Seal{signed(t, priv, 30, "r30"), signed(t, priv, 10, "r10"), signed(t, priv, 20, "r20")}
	for _, sl := range want {
		require.NoError(t, s.AddSeal(ctx, sl, pub))
	}
	require.NoError(t, s.Close())

	s = open(t, path)
	got, err := s.Seals(ctx)
	require.NoError(t, err)
	require.Len(t, got, 3)
	for i, size := range []uint64{10, 20, 30} {
		assert.Equal(t, size, got[i].Size)
		assert.Equal(t, pub, got[i].PublicKey)
		require.NoError(t, got[i].Verify(pub), "a seal read back verifies: every signed byte survived")
	}
	latest, ok, err := s.LatestSeal(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, want[0], latest.Seal)
}

func TestAddSealIdempotentAndConflicting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "ledger.db"))
	priv := key("a")
	pub := priv.Public().(ed25519.PublicKey)
	sl := signed(t, priv, 10, "r")
	require.NoError(t, s.AddSeal(ctx, sl, pub))
	assert.NoError(t, s.AddSeal(ctx, sl, pub), "the same seal again is a no-op")

	tests := map[string]seal.Seal{
		"other root": signed(t, priv, 10, "other"),
		"other key":  signed(t, key("b"), 10, "r"),
	}
	for name, other := range tests {
		assert.ErrorIs(t, s.AddSeal(ctx, other, pub), audit.ErrSealConflict, name)
	}
	assert.ErrorIs(t, s.AddSeal(ctx, sl, pub[:5]), seal.ErrInvalidKey)
	zero := sl
	zero.Size = 0
	assert.ErrorIs(t, s.AddSeal(ctx, zero, pub), seal.ErrMalformedSeal)
	got, err := s.Seals(ctx)
	require.NoError(t, err)
	assert.Len(t, got, 1)
}

func TestConcurrentSealersOneWinner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	open(t, path) // create the tables once
	priv := key("a")
	pub := priv.Public().(ed25519.PublicKey)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	candidates := make([]seal.Seal, len(errs))
	for i := range candidates {
		candidates[i] = signed(t, priv, 10, string(rune('a'+i)))
	}
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := sqliteaudit.Open(ctx, path)
			if err != nil {
				errs[i] = err
				return
			}
			defer s.Close()
			errs[i] = s.AddSeal(ctx, candidates[i], pub)
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
		} else {
			assert.ErrorIs(t, err, audit.ErrSealConflict)
		}
	}
	assert.Equal(t, 1, wins)
}

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

	raw := open(t, path)
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
