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
	"github.com/disputes-ledger/disputes/audit/internal/fixture"
	"github.com/disputes-ledger/disputes/audit/merkle"
	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/follow"
)

// growingLog shows the first visible events of a fixed log; tests grow it.
type growingLog struct {
	mu      sync.Mutex
	all     []eventstore.RecordedEvent
	visible int
	fails   int // the next reads of more than one event fail, as a store restarting does
	failed  int
}

var errReadFailed = errors.New("injected: terminating connection (SQLSTATE 57P01)")

func (g *growingLog) show(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.visible = n
}

func (g *growingLog) ReadAll(_ context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if limit > 1 && g.fails > 0 {
		g.fails--
		g.failed++
		return nil, errReadFailed
	}
	recs := g.all[:g.visible]
	if after >= uint64(len(recs)) {
		return nil, nil
	}
	recs = recs[after:]
	if limit > 0 && len(recs) > limit {
		recs = recs[:limit]
	}
	return fixture.CopyRecords(recs), nil
}

// rootOf recomputes the root of the first n events from scratch.
func rootOf(t *testing.T, recs []eventstore.RecordedEvent, n int) merkle.Hash {
	t.Helper()
	leaves := make([]merkle.Hash, n)
	for i := range leaves {
		var err error
		leaves[i], err = audit.LeafOf(recs[i].Data)
		require.NoError(t, err)
	}
	return merkle.RootFromLeaves(leaves)
}

func TestSealerSealsIncrementally(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := memoryLog(t, 21)
	log := &growingLog{all: m.Records}
	seals := &fixture.Seals{}
	s, err := audit.NewSealer(log, seals, sealKey, steppingClock(t0))
	require.NoError(t, err)

	_, made, err := s.SealToHead(ctx)
	require.NoError(t, err)
	assert.False(t, made, "an empty log has nothing to seal")

	var got []seal.Seal
	for _, n := range []int{1, 100, 100, len(m.Records)} {
		log.show(n)
		sl, made, err := s.SealToHead(ctx)
		require.NoError(t, err)
		assert.Equal(t, uint64(n), sl.Size)
		if len(got) > 0 && got[len(got)-1].Size == sl.Size {
			assert.False(t, made, "no new events, no new seal")
			assert.Equal(t, got[len(got)-1], sl)
			continue
		}
		require.True(t, made)
		require.NoError(t, sl.Verify(s.PublicKey()))
		assert.Equal(t, rootOf(t, m.Records, n), sl.Root)
		got = append(got, sl)
	}
	stored, err := seals.Seals(ctx)
	require.NoError(t, err)
	require.Len(t, stored, 3)

	// A later seal extends every earlier one.
	var tree merkle.Tree
	for i := range m.Records {
		leaf, err := audit.LeafOf(m.Records[i].Data)
		require.NoError(t, err)
		tree.Append(leaf)
	}
	for i := 1; i < len(got); i++ {
		proof, err := tree.ConsistencyProof(got[i-1].Size, got[i].Size)
		require.NoError(t, err)
		assert.NoError(t, merkle.VerifyConsistency(got[i-1].Size, got[i].Size, got[i-1].Root, got[i].Root, proof))
	}

	// A fresh sealer (a restarted process) picks up from the stored seal.
	again, err := audit.NewSealer(log, seals, sealKey, steppingClock(t0.Add(time.Hour)))
	require.NoError(t, err)
	sl, made, err := again.SealToHead(ctx)
	require.NoError(t, err)
	assert.False(t, made)
	assert.Equal(t, got[len(got)-1].Size, sl.Size)
}

func TestSealerRefusesAlteredSealedLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := memoryLog(t, 7)
	seals := &fixture.Seals{}
	s, err := audit.NewSealer(m, seals, sealKey, steppingClock(t0))
	require.NoError(t, err)
	_, _, err = s.SealToHead(ctx)
	require.NoError(t, err)

	// Re-chain one stream with a changed event: valid events, other root.
	pos, _ := find(t, m, fixture.KindQuickRefund, "refund.requested")
	rewriteEvent(t, m, pos, func(e *events.Envelope) { e.CommandID = "changed" })

	restarted, err := audit.NewSealer(m, seals, sealKey, steppingClock(t0))
	require.NoError(t, err)
	_, _, err = restarted.SealToHead(ctx)
	assert.ErrorIs(t, err, audit.ErrSealedLogChanged)

	// Fewer events than the seal covers is a changed log too.
	short := &growingLog{all: m.Records, visible: len(m.Records) - 1}
	restarted, err = audit.NewSealer(short, seals, sealKey, steppingClock(t0))
	require.NoError(t, err)
	_, _, err = restarted.SealToHead(ctx)
	assert.ErrorIs(t, err, audit.ErrSealedLogChanged)
}

func TestSealerRefusesInvalidEvent(t *testing.T) {
	t.Parallel()
	m := memoryLog(t, 7)
	m.Records[5].Data = append([]byte(nil), m.Records[5].Data...)
	m.Records[5].Data[40] ^= 1
	s, err := audit.NewSealer(m, &fixture.Seals{}, sealKey, steppingClock(t0))
	require.NoError(t, err)
	_, _, err = s.SealToHead(context.Background())
	assert.ErrorIs(t, err, audit.ErrInvalidEvent)
	assert.ErrorContains(t, err, "position 6")
}

func TestNewSealerValidates(t *testing.T) {
	t.Parallel()
	_, err := audit.NewSealer(&growingLog{}, &fixture.Seals{}, sealKey[:10], time.Now)
	assert.ErrorIs(t, err, seal.ErrInvalidKey)
	_, err = audit.NewSealer(nil, &fixture.Seals{}, sealKey, time.Now)
	assert.Error(t, err)
}

func TestSealerRunSealsOnCadence(t *testing.T) {
	t.Parallel()
	m := memoryLog(t, 14)
	log := &growingLog{all: m.Records, visible: 10}
	seals := &fixture.Seals{}
	s, err := audit.NewSealer(log, seals, sealKey, steppingClock(t0))
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	made := make(chan seal.Seal, 16)
	done := make(chan error, 1)
	go func() {
		done <- s.Run(ctx, audit.Cadence{Events: 50, Poll: time.Millisecond}, func(sl seal.Seal) { made <- sl })
	}()

	// Ten events stay below the threshold: no seal.
	select {
	case sl := <-made:
		t.Fatalf("sealed %d events, below the 50-event threshold", sl.Size)
	case <-time.After(50 * time.Millisecond):
	}
	log.show(60)
	select {
	case sl := <-made:
		assert.Equal(t, uint64(60), sl.Size)
	case <-time.After(5 * time.Second):
		t.Fatal("no seal after the threshold was passed")
	}
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
	assert.Equal(t, uint64(0), s.Unsealed())
}

// TestSealerRunHealsAfterReadFailures: reads of the log fail while the
// sealer runs (the store restarting); it keeps going and seals everything
// once the reads succeed, without sealing a position twice.
func TestSealerRunHealsAfterReadFailures(t *testing.T) {
	t.Parallel()
	m := memoryLog(t, 14)
	log := &growingLog{all: m.Records, visible: 10, fails: 2}
	seals := &fixture.Seals{}
	s, err := audit.NewSealer(log, seals, sealKey, steppingClock(t0))
	require.NoError(t, err)
	assert.Equal(t, follow.Idle, s.Status().State)
	ctx, cancel := context.WithCancel(context.Background())
	made := make(chan seal.Seal, 16)
	done := make(chan error, 1)
	go func() {
		done <- s.Run(ctx, audit.Cadence{Events: 5, Poll: time.Millisecond}, func(sl seal.Seal) { made <- sl })
	}()
	require.Eventually(t, func() bool { return s.Status().State == follow.Retrying }, 10*time.Second, 100*time.Microsecond,
		"the failed read shows in the status")
	select {
	case sl := <-made:
		assert.Equal(t, uint64(10), sl.Size, "sealed once the reads came back")
	case err := <-done:
		t.Fatalf("Run returned on a read failure: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no seal after the reads came back")
	}
	log.mu.Lock()
	log.fails = 3
	log.visible = len(m.Records)
	log.mu.Unlock()
	select {
	case sl := <-made:
		assert.Equal(t, uint64(len(m.Records)), sl.Size)
	case err := <-done:
		t.Fatalf("Run returned on a read failure: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no seal after the log grew")
	}
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
	log.mu.Lock()
	assert.Equal(t, 5, log.failed)
	log.mu.Unlock()
	stored, err := seals.Seals(context.Background())
	require.NoError(t, err)
	require.Len(t, stored, 2)
}

func TestSealerRunSealsOnInterval(t *testing.T) {
	t.Parallel()
	m := memoryLog(t, 7)
	s, err := audit.NewSealer(m, &fixture.Seals{}, sealKey, steppingClock(t0))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	made := make(chan seal.Seal, 1)
	go func() {
		_ = s.Run(ctx, audit.Cadence{Interval: 20 * time.Millisecond, Poll: time.Millisecond}, func(sl seal.Seal) {
			made <- sl
			cancel()
		})
	}()
	select {
	case sl := <-made:
		assert.Equal(t, uint64(len(m.Records)), sl.Size)
	case <-ctx.Done():
		t.Fatal("no seal within the interval")
	}
}

func TestCadenceValidate(t *testing.T) {
	t.Parallel()
	for _, c := range []audit.Cadence{{}, {Interval: -time.Second, Events: 1}, {Events: 1, Poll: -1}} {
		assert.Error(t, c.Validate(), "%+v", c)
	}
	assert.NoError(t, audit.Cadence{Events: 1}.Validate())
	err := (&audit.Sealer{}).Run(context.Background(), audit.Cadence{}, nil)
	assert.Error(t, err)
	assert.False(t, errors.Is(err, context.Canceled))
}
