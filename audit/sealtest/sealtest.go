// Package sealtest is the conformance suite for audit.SealStore. Every
// seal store runs it from its own tests with one call:
//
//	func TestConformance(t *testing.T) {
//		sealtest.Run(t, func(t *testing.T) sealtest.Open { return freshPlace(t) })
//	}
//
// newPlace is called once per subtest and returns an Open for a fresh, empty
// place (a file, a schema, a stream). Each call of that Open is a new handle
// on the same place, as another process would open it; the backend closes
// the handles in a t.Cleanup.
//
// The suite holds a store to every rule of audit.SealStore's doc comments:
// round trip of every signed byte and the key, increasing order whatever the
// order of adding, idempotent re-adds, ErrSealConflict for any other seal at
// a stored size (with a message naming what differs), the refusals of
// audit.CheckSealToStore, durability across handles, and one winner among
// concurrent adders.
package sealtest

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/merkle"
	"github.com/disputes-ledger/disputes/audit/seal"
)

// Open opens one more handle on the place a NewPlace made.
type Open func(t *testing.T) audit.SealStore

// NewPlace makes a fresh, empty place for one subtest.
type NewPlace func(t *testing.T) Open

// Run runs the whole conformance suite against the places newPlace makes.
func Run(t *testing.T, newPlace NewPlace) {
	t.Helper()
	for _, tc := range []struct {
		name string
		test func(t *testing.T, open Open)
	}{
		{"Empty", testEmpty},
		{"RoundTrip", testRoundTrip},
		{"IncreasingSize", testIncreasingSize},
		{"IdempotentReAdd", testIdempotentReAdd},
		{"Conflict", testConflict},
		{"Invalid", testInvalid},
		{"DurableAcrossHandles", testDurableAcrossHandles},
		{"ConcurrentAddersOneWinner", testConcurrentAddersOneWinner},
		{"ConcurrentSameSeal", testConcurrentSameSeal},
		{"ConcurrentSizes", testConcurrentSizes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			open := newPlace(t)
			require.NotNil(t, open, "newPlace returned nil")
			tc.test(t, open)
		})
	}
}

// at is the time of the suite's seals; it has nanoseconds, which every
// store must keep, since the signature covers them.
var at = time.Date(2026, 11, 2, 9, 0, 0, 123456789, time.UTC)

// Key returns a deterministic signing key named label.
func Key(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("sealtest:" + label))
	return ed25519.NewKeyFromSeed(seed[:])
}

func pubOf(priv ed25519.PrivateKey) ed25519.PublicKey { return priv.Public().(ed25519.PublicKey) }

// Root returns a deterministic root named label.
func Root(label string) merkle.Hash { return merkle.Hash(sha256.Sum256([]byte("root:" + label))) }

// Signed returns a seal of size over the root named rootLabel, signed by priv
// at a time derived from the size.
func Signed(t testing.TB, priv ed25519.PrivateKey, size uint64, rootLabel string) seal.Seal {
	t.Helper()
	s, err := seal.Sign(priv, size, Root(rootLabel), at.Add(time.Duration(size)*time.Second))
	require.NoError(t, err)
	return s
}

func seals(t *testing.T, s audit.SealStore) []audit.StoredSeal {
	t.Helper()
	got, err := s.Seals(context.Background())
	require.NoError(t, err)
	return got
}

func sizes(ss []audit.StoredSeal) []uint64 {
	out := make([]uint64, len(ss))
	for i, s := range ss {
		out[i] = s.Size
	}
	return out
}

func testEmpty(t *testing.T, open Open) {
	s := open(t)
	assert.Empty(t, seals(t, s))
	_, ok, err := s.LatestSeal(context.Background())
	require.NoError(t, err)
	assert.False(t, ok, "an empty store has no latest seal")
}

func testRoundTrip(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	priv := Key("a")
	want := Signed(t, priv, 7, "r7")
	require.NoError(t, s.AddSeal(ctx, want, pubOf(priv)))
	got := seals(t, s)
	require.Len(t, got, 1)
	assert.Equal(t, want, got[0].Seal, "every signed byte survives, nanoseconds included")
	assert.Equal(t, pubOf(priv), got[0].PublicKey)
	require.NoError(t, got[0].Verify(got[0].PublicKey), "a seal read back verifies")
	latest, ok, err := s.LatestSeal(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, got[0], latest)
}

func testIncreasingSize(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	priv := Key("a")
	for _, size := range []uint64{30, 10, 1 << 40, 20, 1} {
		require.NoError(t, s.AddSeal(ctx, Signed(t, priv, size, fmt.Sprint(size)), pubOf(priv)))
	}
	got := seals(t, s)
	assert.Equal(t, []uint64{1, 10, 20, 30, 1 << 40}, sizes(got), "Seals is in increasing size, not in the order of adding")
	latest, ok, err := s.LatestSeal(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, uint64(1<<40), latest.Size, "the latest seal is the largest, not the last added")
	assert.Equal(t, Signed(t, priv, 1<<40, fmt.Sprint(1<<40)), latest.Seal)
}

func testIdempotentReAdd(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	priv := Key("a")
	first := Signed(t, priv, 10, "r")
	require.NoError(t, s.AddSeal(ctx, first, pubOf(priv)))
	require.NoError(t, s.AddSeal(ctx, Signed(t, priv, 20, "r20"), pubOf(priv)))
	for range 3 {
		assert.NoError(t, s.AddSeal(ctx, first, pubOf(priv)), "the same seal again is a no-op")
	}
	assert.NoError(t, open(t).AddSeal(ctx, first, pubOf(priv)), "also through another handle")
	assert.Equal(t, []uint64{10, 20}, sizes(seals(t, s)), "a re-add stores nothing")
	latest, _, err := s.LatestSeal(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(20), latest.Size, "re-adding an older seal does not make it the latest")
}

func testConflict(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	priv, other := Key("a"), Key("b")
	stored := Signed(t, priv, 10, "r")
	require.NoError(t, s.AddSeal(ctx, stored, pubOf(priv)))

	laterTime, err := seal.Sign(priv, 10, stored.Root, stored.SealedAt.Add(time.Nanosecond))
	require.NoError(t, err)
	badSig := stored
	badSig.Signature = append([]byte(nil), stored.Signature...)
	badSig.Signature[0] ^= 1
	tests := []struct {
		name    string
		offered seal.Seal
		pub     ed25519.PublicKey
		mention []string // what the message must name
	}{
		{"other root", Signed(t, priv, 10, "fork"), pubOf(priv), []string{stored.Root.String(), Root("fork").String()}},
		{"other key", Signed(t, other, 10, "r"), pubOf(other), []string{seal.KeyID(pubOf(priv)), seal.KeyID(pubOf(other))}},
		{"other time", laterTime, pubOf(priv), []string{"sealed at"}},
		{"other signature", badSig, pubOf(priv), []string{"signature"}},
		{"other public key", stored, pubOf(other), []string{"public key"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.AddSeal(ctx, tc.offered, tc.pub)
			require.ErrorIs(t, err, audit.ErrSealConflict)
			var conflict *audit.SealConflictError
			require.ErrorAs(t, err, &conflict, "stores report conflicts with audit.NewSealConflict")
			assert.Equal(t, stored, conflict.Stored.Seal, "the error carries the stored seal")
			for _, m := range tc.mention {
				assert.Contains(t, err.Error(), m)
			}
			if tc.offered.Root == stored.Root {
				assert.NotContains(t, err.Error(), "root", "the root does not differ: the message must not say it does")
			}
		})
	}
	got := seals(t, s)
	require.Len(t, got, 1, "a refused seal stores nothing")
	assert.Equal(t, stored, got[0].Seal)
	assert.Equal(t, pubOf(priv), got[0].PublicKey)
}

func testInvalid(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	priv := Key("a")
	sl := Signed(t, priv, 10, "r")
	assert.ErrorIs(t, s.AddSeal(ctx, sl, pubOf(priv)[:5]), seal.ErrInvalidKey)
	assert.ErrorIs(t, s.AddSeal(ctx, sl, nil), seal.ErrInvalidKey)
	for _, size := range []uint64{0, 1 << 63, 1<<64 - 1} {
		bad := sl
		bad.Size = size
		assert.ErrorIs(t, s.AddSeal(ctx, bad, pubOf(priv)), seal.ErrMalformedSeal, "size %d", size)
	}
	assert.Empty(t, seals(t, s), "a refused seal stores nothing")
}

func testDurableAcrossHandles(t *testing.T, open Open) {
	ctx := context.Background()
	a := open(t)
	priv := Key("a")
	for _, size := range []uint64{3, 9} {
		require.NoError(t, a.AddSeal(ctx, Signed(t, priv, size, fmt.Sprint(size)), pubOf(priv)))
	}
	if c, ok := a.(interface{ Close() error }); ok {
		require.NoError(t, c.Close(), "close the first handle: what it added stays")
	}
	b := open(t)
	got := seals(t, b)
	assert.Equal(t, []uint64{3, 9}, sizes(got))
	for _, g := range got {
		require.NoError(t, g.Verify(pubOf(priv)))
	}
	require.NoError(t, b.AddSeal(ctx, Signed(t, priv, 12, "12"), pubOf(priv)))
	latest, ok, err := open(t).LatestSeal(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, uint64(12), latest.Size, "a third handle sees the second's seal")
}

// adders is how many handles race in the concurrency tests.
const adders = 8

// race runs add once per handle, all at once, and returns their errors.
func race(t *testing.T, open Open, add func(i int, s audit.SealStore) error) []error {
	handles := make([]audit.SealStore, adders)
	for i := range handles {
		handles[i] = open(t)
	}
	errs := make([]error, adders)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range handles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = add(i, handles[i])
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

func testConcurrentAddersOneWinner(t *testing.T, open Open) {
	ctx := context.Background()
	priv := Key("a")
	candidates := make([]seal.Seal, adders)
	for i := range candidates {
		candidates[i] = Signed(t, priv, 10, fmt.Sprint("candidate", i))
	}
	errs := race(t, open, func(i int, s audit.SealStore) error { return s.AddSeal(ctx, candidates[i], pubOf(priv)) })
	winner := -1
	for i, err := range errs {
		if err == nil {
			require.Equal(t, -1, winner, "two different seals of one size were both accepted")
			winner = i
			continue
		}
		require.ErrorIs(t, err, audit.ErrSealConflict, "adder %d", i)
	}
	require.NotEqual(t, -1, winner, "no adder won")
	got := seals(t, open(t))
	require.Len(t, got, 1)
	assert.Equal(t, candidates[winner], got[0].Seal, "the stored seal is the winner's")
}

func testConcurrentSameSeal(t *testing.T, open Open) {
	ctx := context.Background()
	priv := Key("a")
	sl := Signed(t, priv, 10, "r")
	errs := race(t, open, func(_ int, s audit.SealStore) error { return s.AddSeal(ctx, sl, pubOf(priv)) })
	assert.NoError(t, errors.Join(errs...), "racing the same seal is idempotent for everyone")
	got := seals(t, open(t))
	require.Len(t, got, 1)
	assert.Equal(t, sl, got[0].Seal)
}

func testConcurrentSizes(t *testing.T, open Open) {
	ctx := context.Background()
	priv := Key("a")
	candidates := make([]seal.Seal, adders)
	for i := range candidates {
		candidates[i] = Signed(t, priv, uint64(i+1), fmt.Sprint(i+1))
	}
	errs := race(t, open, func(i int, s audit.SealStore) error { return s.AddSeal(ctx, candidates[i], pubOf(priv)) })
	require.NoError(t, errors.Join(errs...), "seals of different sizes never conflict")
	got := seals(t, open(t))
	assert.Equal(t, []uint64{1, 2, 3, 4, 5, 6, 7, 8}, sizes(got))
}
