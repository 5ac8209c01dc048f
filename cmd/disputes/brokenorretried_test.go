package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/supervise"
)

// memorySeals is a seal store in memory whose next failAdds additions fail,
// like a database that went away.
type memorySeals struct {
	mu       sync.Mutex
	seals    []audit.StoredSeal
	failAdds int
	adds     int
}

var errSealStoreDown = errors.New("store seal: SQLSTATE 57P01: terminating connection due to administrator command")

func (m *memorySeals) AddSeal(_ context.Context, s seal.Seal, pub ed25519.PublicKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.adds++
	if m.failAdds > 0 {
		m.failAdds--
		return errSealStoreDown
	}
	for _, have := range m.seals {
		if have.Size == s.Size {
			return nil
		}
	}
	m.seals = append(m.seals, audit.StoredSeal{Seal: s, PublicKey: pub})
	return nil
}

func (m *memorySeals) Seals(context.Context) ([]audit.StoredSeal, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]audit.StoredSeal(nil), m.seals...), nil
}

func (m *memorySeals) LatestSeal(context.Context) (audit.StoredSeal, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.seals) == 0 {
		return audit.StoredSeal{}, false, nil
	}
	return m.seals[len(m.seals)-1], true, nil
}

// corruptAt is a log whose event at one position does not decode.
type corruptAt struct {
	eventstore.Store
	position uint64
}

func (c corruptAt) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	recs, err := c.Store.ReadAll(ctx, after, limit)
	for i := range recs {
		if recs[i].Position == c.position {
			recs[i].Data = append([]byte(nil), recs[i].Data...)
			recs[i].Data[len(recs[i].Data)/2] ^= 1
		}
	}
	return recs, err
}

// TestSupervisedSealerBreaksOnABadLogAndRetriesAStoreFailure runs the
// sealer under the supervisor as serve does, along both ways a log
// follower's consumer ends a run: an event it must not seal is
// follow.Broken — the component is broken after one run, no restarts —
// while a seal the store failed to take halts the run and is retried until
// the store takes it.
func TestSupervisedSealerBreaksOnABadLogAndRetriesAStoreFailure(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ledger.db")
	code, _, errOut := runCLI(t, "", "demo", "--db", db, "--tickets", "3")
	require.Equal(t, 0, code, errOut)
	store, err := sqlite.Open(context.Background(), db, sqlite.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	_, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	fast := supervise.Options{Backoff: supervise.Backoff{Initial: 10 * time.Millisecond, Max: 20 * time.Millisecond}}
	cadence := audit.Cadence{Events: 1, Poll: 5 * time.Millisecond}

	t.Run("broken", func(t *testing.T) {
		reg := supervise.NewRegistry()
		c := reg.Add("sealer", false, nil)
		runs := 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.Run(context.Background(), func(ctx context.Context) error {
				runs++
				s, err := audit.NewSealer(corruptAt{Store: store, position: 4}, &memorySeals{}, key, time.Now)
				if err != nil {
					return err
				}
				return s.Run(ctx, cadence, nil)
			}, fast)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the supervisor kept restarting a sealer that can never seal this log")
		}
		st := c.Status()
		assert.Equal(t, supervise.Broken, st.State)
		assert.Equal(t, 1, runs, "not restarted")
		assert.Zero(t, st.Restarts)
		assert.Contains(t, st.LastError, "position 4")
	})

	t.Run("retried", func(t *testing.T) {
		seals := &memorySeals{failAdds: 3}
		reg := supervise.NewRegistry()
		c := reg.Add("sealer", false, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.Run(ctx, func(ctx context.Context) error {
				s, err := audit.NewSealer(store, seals, key, time.Now)
				if err != nil {
					return err
				}
				return s.Run(ctx, cadence, nil)
			}, fast)
		}()
		head, err := store.ReadAll(context.Background(), 0, 1<<20)
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			latest, ok, _ := seals.LatestSeal(context.Background())
			return ok && latest.Size == uint64(len(head))
		}, 10*time.Second, 5*time.Millisecond, "the sealer never stored the seal once the store took it")
		st := c.Status()
		assert.Equal(t, supervise.OK, st.State)
		assert.Equal(t, uint64(3), st.Restarts, "each failed store restarted the job")
		assert.Contains(t, st.LastError, "SQLSTATE 57P01")
		cancel()
		<-done
	})
}
