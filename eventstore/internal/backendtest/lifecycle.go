package backendtest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Close closes s, an open and empty store, with a subscription running:
// Close is idempotent, the subscription ends with errClosed (the backend's
// ErrClosed), and every later call fails with errClosed.
func Close(t *testing.T, s eventstore.Store, errClosed error) {
	t.Helper()
	ctx := context.Background()
	_, err := s.Append(ctx, "close", eventstore.NoStream(), []eventstore.EventData{Event(0)})
	require.NoError(t, err)
	sub, err := s.Subscribe(ctx, 0)
	require.NoError(t, err)

	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close twice")

	for range sub.Events() { // at most the one pending event
	}
	assert.ErrorIs(t, sub.Err(), errClosed)
	_, err = s.Append(ctx, "close", eventstore.Exact(0), []eventstore.EventData{Event(1)})
	assert.ErrorIs(t, err, errClosed)
	_, err = s.ReadAll(ctx, 0, 0)
	assert.ErrorIs(t, err, errClosed)
	_, err = s.ReadStream(ctx, "close", 0, 0)
	assert.ErrorIs(t, err, errClosed)
	_, err = s.Subscribe(ctx, 0)
	assert.ErrorIs(t, err, errClosed)
}

// Reopen appends three events to the store open returns, closes it, opens
// it again on the same database and checks the events are there. It returns
// the reopened store, which it closes when the test ends, for the backend's
// own checks.
func Reopen[S eventstore.Store](t *testing.T, open func() S) S {
	t.Helper()
	ctx := context.Background()
	s := open()
	evs := Events(0, 3)
	_, err := s.Append(ctx, "reopen", eventstore.NoStream(), evs)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s = open()
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	got, err := s.ReadStream(ctx, "reopen", 0, 0)
	require.NoError(t, err)
	require.Len(t, got, len(evs))
	for i := range evs {
		assert.Equal(t, evs[i].ID, got[i].ID)
		assert.Equal(t, evs[i].Data, got[i].Data)
	}
	return s
}

// CloseDuringAppends closes a store under load, after busy: every append
// must either succeed (and be stored) or fail with errClosed (the backend's
// ErrClosed). open opens the store on the same, initially empty, database
// each time it is called; CloseDuringAppends closes what it opens.
func CloseDuringAppends(t *testing.T, open func() eventstore.Store, errClosed error, busy time.Duration) {
	t.Helper()
	ctx := context.Background()
	s := open()
	defer s.Close() // if a check fails first; Close is idempotent
	sub, err := s.Subscribe(ctx, 0)
	require.NoError(t, err)

	const writers = 16
	var wg sync.WaitGroup
	acked := make([][]uuid.UUID, writers)
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			stream := fmt.Sprintf("w-%d", w)
			for rev := uint64(0); ; rev++ {
				e := Event(rev)
				if _, err := s.Append(ctx, stream, ExpectAfter(rev), []eventstore.EventData{e}); err != nil {
					errs[w] = err
					return
				}
				acked[w] = append(acked[w], e.ID)
			}
		})
	}
	time.Sleep(busy)
	require.NoError(t, s.Close())
	wg.Wait()
	for w, err := range errs {
		assert.ErrorIs(t, err, errClosed, "writer %d", w)
	}
	for range sub.Events() {
	}

	reopened := open()
	defer reopened.Close()
	for w, ids := range acked {
		if len(ids) == 0 {
			continue
		}
		got, err := reopened.ReadStream(ctx, fmt.Sprintf("w-%d", w), 0, 0)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(got), len(ids))
		for i, id := range ids {
			assert.Equal(t, id, got[i].ID, "writer %d event %d", w, i)
		}
	}
	require.NoError(t, reopened.Close())
}
