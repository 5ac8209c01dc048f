package projections_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/follow"
	"github.com/disputes-ledger/disputes/projections"
)

var errStoreDown = errors.New("injected: the store is restarting (SQLSTATE 57P01)")

// flakyStore fails every third ReadAll of more than one event and every
// other Subscribe while down is set, as a store restarting over and over.
type flakyStore struct {
	eventstore.Store
	mu    sync.Mutex
	down  bool
	calls int
	fails int
}

func (s *flakyStore) fail() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.down && s.calls%3 == 0 {
		s.fails++
		return true
	}
	return false
}

func (s *flakyStore) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	if limit > 1 && s.fail() {
		return nil, errStoreDown
	}
	return s.Store.ReadAll(ctx, after, limit)
}

func (s *flakyStore) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	if s.fail() {
		return nil, errStoreDown
	}
	return s.Store.Subscribe(ctx, after)
}

func (s *flakyStore) set(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// TestFollowingProjectorHealsAfterStoreFailures keeps the read models while
// the store fails again and again: the projector retries by itself, says so
// in its Status, and ends with the rows a clean run makes.
func TestFollowingProjectorHealsAfterStoreFailures(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	appendScenarios(t, l.store, l.pol, generate(51, 30, epoch, l.pol))
	flaky := &flakyStore{Store: l.store, down: true}
	p := projections.NewProjector(flaky, l.db, projections.Default(l.db, l.pol),
		projections.Options{Follow: true, PageSize: 16, RetryInterval: time.Millisecond, MaxRetryInterval: 20 * time.Millisecond})
	assert.Equal(t, follow.Idle, p.Status().State)
	done := make(chan error, 1)
	go func() {
		_, err := p.Run(ctx)
		done <- err
	}()
	sawRetrying := false
	require.Eventually(t, func() bool {
		st := p.Status()
		if st.State == follow.Retrying {
			sawRetrying = true
			assert.ErrorIs(t, st.Err, errStoreDown)
		}
		return sawRetrying
	}, 20*time.Second, 100*time.Microsecond, "the failure shows in the status")
	appendScenarios(t, l.store, l.pol, generate(52, 30, epoch.AddDate(0, 1, 0), l.pol))
	head, err := projections.Head(ctx, l.store)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		for _, name := range []string{projections.TicketStatusName, projections.MerchantPenaltiesName, projections.AuditTrailName} {
			if pos, err := l.db.Checkpoint(ctx, name); err != nil || pos != head {
				return false
			}
		}
		return true
	}, 20*time.Second, 10*time.Millisecond, "the projector heals and reaches the head")
	flaky.set(false)
	require.Eventually(t, func() bool { return p.Status().State == follow.Live }, 20*time.Second, time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	flaky.mu.Lock()
	assert.Positive(t, flaky.fails)
	flaky.mu.Unlock()

	clean, err := openSQLite(context.Background(), t.TempDir()+"/read-models.db")
	require.NoError(t, err)
	defer clean.Close()
	_, err = projections.RunToHead(context.Background(), l.store, clean, l.pol)
	require.NoError(t, err)
	assert.Equal(t, dump(t, clean), dump(t, l.db), "no event lost or applied twice")
}
