package audit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	tlog "github.com/disputes-ledger/disputes/audit/checkpoint"
	"github.com/disputes-ledger/disputes/audit/internal/fixture"
	"github.com/disputes-ledger/disputes/audit/seal"
)

// recorder is a CheckpointPublisher that keeps what it is given and fails
// while failing is set.
type recorder struct {
	mu      sync.Mutex
	texts   [][]byte
	failing bool
}

var errUnreachable = errors.New("publisher unreachable")

func (r *recorder) PublishCheckpoint(_ context.Context, cp tlog.Checkpoint, text []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing {
		return errUnreachable
	}
	r.texts = append(r.texts, text)
	return nil
}

func (r *recorder) published() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.texts...)
}

func (r *recorder) fail(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failing = on
}

func TestSealerPublishesEachSealAsACheckpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := memoryLog(t, 5)
	log := &growingLog{all: m.Records}
	seals := &fixture.Seals{}
	rec := &recorder{}
	s, err := audit.NewSealer(log, seals, sealKey, steppingClock(t0), audit.WithCheckpoints("example.com/ledger", rec))
	require.NoError(t, err)
	assert.Equal(t, "example.com/ledger", s.Origin())
	_, ok := s.Checkpoint()
	assert.False(t, ok, "nothing sealed, nothing to serve")

	var made []seal.Seal
	for _, n := range []int{3, 9} {
		log.show(n)
		sl, _, err := s.SealToHead(ctx)
		require.NoError(t, err)
		made = append(made, sl)
	}
	texts := rec.published()
	require.Len(t, texts, 2)
	for i, text := range texts {
		cp, err := tlog.Open(text, sealPub())
		require.NoError(t, err)
		assert.Equal(t, tlog.Checkpoint{Origin: "example.com/ledger", Size: made[i].Size, Root: made[i].Root}, cp)
	}
	served, ok := s.Checkpoint()
	require.True(t, ok)
	assert.Equal(t, texts[1], served)

	// No new seal: nothing published again by this sealer.
	_, made2, err := s.SealToHead(ctx)
	require.NoError(t, err)
	assert.False(t, made2)
	assert.Len(t, rec.published(), 2)

	// A restarted sealer publishes the latest seal once more (publishers
	// treat it as a no-op), byte for byte the same checkpoint.
	rec2 := &recorder{}
	again, err := audit.NewSealer(log, seals, sealKey, steppingClock(t0.Add(time.Hour)), audit.WithCheckpoints("example.com/ledger", rec2))
	require.NoError(t, err)
	_, _, err = again.SealToHead(ctx)
	require.NoError(t, err)
	require.Len(t, rec2.published(), 1)
	assert.Equal(t, texts[1], rec2.published()[0])
}

func TestSealerRetriesAFailedPublication(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := memoryLog(t, 3)
	seals := &fixture.Seals{}
	rec := &recorder{failing: true}
	s, err := audit.NewSealer(m, seals, sealKey, steppingClock(t0), audit.WithCheckpoints("", rec))
	require.NoError(t, err)
	assert.Equal(t, tlog.DefaultOrigin(sealPub()), s.Origin())

	sl, made, err := s.SealToHead(ctx)
	require.ErrorIs(t, err, errUnreachable, "a seal that could not leave the ledger is an error")
	assert.True(t, made, "the seal itself is stored")
	stored, err := seals.Seals(ctx)
	require.NoError(t, err)
	require.Len(t, stored, 1)
	_, ok := s.Checkpoint()
	assert.False(t, ok)

	rec.fail(false)
	again, made, err := s.SealToHead(ctx)
	require.NoError(t, err)
	assert.False(t, made)
	assert.Equal(t, sl, again)
	require.Len(t, rec.published(), 1, "the next call publishes what failed")
	cp, err := tlog.Open(rec.published()[0], sealPub())
	require.NoError(t, err)
	assert.Equal(t, sl.Size, cp.Size)
}

func TestSealerRefusesABadOrigin(t *testing.T) {
	t.Parallel()
	_, err := audit.NewSealer(memoryLog(t, 1), &fixture.Seals{}, sealKey, time.Now, audit.WithCheckpoints("has space"))
	assert.ErrorIs(t, err, tlog.ErrInvalidOrigin)
}
