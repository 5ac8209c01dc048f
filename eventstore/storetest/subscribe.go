package storetest

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

func testSubscribeCatchUpThenLive(t *testing.T, s eventstore.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stored := seed(t, s, "sub", 10)

	sub, err := s.Subscribe(ctx, 0)
	require.NoError(t, err)
	got := receive(t, sub, 10)
	assertEvents(t, "sub", stored, got)
	assertGapFree(t, got, 1)
	assert.NoError(t, sub.Err(), "Err while open")

	// Live: a batch, then single events on another stream after a pause
	// long enough for the subscription to be idle.
	live := newEvents("sub", 10, 3)
	_, err = s.Append(ctx, "sub", eventstore.Exact(9), live)
	require.NoError(t, err)
	got = receive(t, sub, 3)
	assertEvents(t, "sub", live, got)
	assertGapFree(t, got, 11)

	time.Sleep(50 * time.Millisecond)
	for rev := range uint64(2) {
		evs := newEvents("sub-2", rev, 1)
		_, err = s.Append(ctx, "sub-2", expectAfter(rev), evs)
		require.NoError(t, err)
		got = receive(t, sub, 1)
		assertEvents(t, "sub-2", evs, got)
		assert.Equal(t, 14+rev, got[0].Position)
	}
}

func testSubscribeFromCheckpoint(t *testing.T, s eventstore.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stored := seed(t, s, "checkpoint", 20)

	for _, after := range []uint64{12, 19, 20} {
		t.Run(fmt.Sprintf("after %d", after), func(t *testing.T) {
			sctx, stop := context.WithCancel(ctx)
			defer stop()
			sub, err := s.Subscribe(sctx, after)
			require.NoError(t, err)
			got := receive(t, sub, 20-int(after))
			assertEvents(t, "checkpoint", stored[after:], got)
			assertGapFree(t, got, after+1)
		})
	}

	// A subscription from a checkpoint beyond the current end waits for it.
	sub, err := s.Subscribe(ctx, 21)
	require.NoError(t, err)
	more := newEvents("checkpoint", 20, 2)
	_, err = s.Append(ctx, "checkpoint", eventstore.Exact(19), more)
	require.NoError(t, err)
	got := receive(t, sub, 1)
	assertEvents(t, "checkpoint", more[1:], got)
	assert.Equal(t, uint64(22), got[0].Position)
}

// testSubscribeConcurrentWriters checks that a subscriber sees every event
// exactly once, in position order and without gaps, while several writers
// append at once, and that a second subscriber starting at a checkpoint
// taken mid-run sees the same log from there.
func testSubscribeConcurrentWriters(t *testing.T, s eventstore.Store) {
	const (
		writers   = 4
		perWriter = 40 // appends; every third one carries two events
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seed(t, s, "concurrent-seed", 5)

	sub, err := s.Subscribe(ctx, 0)
	require.NoError(t, err)

	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		acked = make(map[uuid.UUID]string)
		errs  = make([]error, writers)
	)
	for w := range writers {
		wg.Go(func() {
			stream := fmt.Sprintf("concurrent-%d", w)
			var next uint64
			for i := range perWriter {
				evs := newEvents(stream, next, 1+btoi(i%3 == 0))
				if _, err := s.Append(ctx, stream, expectAfter(next), evs); err != nil {
					errs[w] = err
					return
				}
				next += uint64(len(evs))
				mu.Lock()
				for _, e := range evs {
					acked[e.ID] = stream
				}
				mu.Unlock()
			}
		})
	}

	total := 5 + writers*(perWriter+(perWriter+2)/3)
	// A second subscriber joins at whatever checkpoint the first has reached.
	first := receive(t, sub, total/3)
	checkpoint := first[len(first)-1].Position
	late, err := s.Subscribe(ctx, checkpoint)
	require.NoError(t, err)

	got := append(first, receive(t, sub, total-len(first))...)
	wg.Wait()
	for w, err := range errs {
		require.NoError(t, err, "writer %d", w)
	}
	assertGapFree(t, got, 1)
	nextRev := make(map[string]uint64)
	for _, e := range got[5:] {
		assert.Equal(t, acked[e.ID], e.Stream, "event %s was not acknowledged to this stream", e.ID)
		assert.Equal(t, nextRev[e.Stream], e.Revision, "revision order of %s", e.Stream)
		nextRev[e.Stream] = e.Revision + 1
	}
	assert.Len(t, acked, total-5)

	lateGot := receive(t, late, total-int(checkpoint))
	assert.Equal(t, got[checkpoint:], lateGot, "the late subscriber must see the same log")
	assert.Equal(t, got, readAll(t, s, 0, 64), "subscribers and ReadAll must agree")
}

// testSubscribeBackPressure lets a subscriber fall far behind: the store
// must hold the events back, not drop them.
func testSubscribeBackPressure(t *testing.T, s eventstore.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub, err := s.Subscribe(ctx, 0)
	require.NoError(t, err)

	var want []eventstore.EventData
	for i := range uint64(30) {
		evs := newEvents("slow", i*10, 10)
		_, err := s.Append(ctx, "slow", expectAfter(i*10), evs)
		require.NoError(t, err)
		want = append(want, evs...)
	}
	time.Sleep(100 * time.Millisecond) // the subscriber stays blocked meanwhile

	got := receive(t, sub, len(want))
	assertEvents(t, "slow", want, got)
	assertGapFree(t, got, 1)
	assert.NoError(t, sub.Err())
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
