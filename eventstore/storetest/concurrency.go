package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testConcurrentExactAppends makes writers race for each revision of one
// stream: exactly one must win every revision and all others must get
// ErrConcurrency.
func testConcurrentExactAppends(t *testing.T, s eventstore.Store) {
	const (
		writers = 8
		rounds  = 10
		stream  = "race"
	)
	ctx := context.Background()
	winners := make([]eventstore.EventData, rounds)
	for rev := range uint64(rounds) {
		var (
			start = make(chan struct{})
			wg    sync.WaitGroup
			evs   = make([]eventstore.EventData, writers)
			errs  = make([]error, writers)
		)
		for w := range writers {
			evs[w] = newEvents(stream, rev, 1)[0]
			evs[w].Data = fmt.Appendf(nil, `{"writer":%d,"revision":%d}`, w, rev)
			wg.Go(func() {
				<-start
				_, errs[w] = s.Append(ctx, stream, expectAfter(rev), []eventstore.EventData{evs[w]})
			})
		}
		close(start)
		wg.Wait()

		won := 0
		for w, err := range errs {
			if err == nil {
				won++
				winners[rev] = evs[w]
				continue
			}
			assert.ErrorIs(t, err, eventstore.ErrConcurrency, "round %d writer %d", rev, w)
		}
		require.Equal(t, 1, won, "round %d: exactly one writer must win", rev)
	}

	stored, err := s.ReadStream(ctx, stream, 0, 0)
	require.NoError(t, err)
	assertEvents(t, stream, winners, stored)
	assertGapFree(t, readAll(t, s, 0, 100), 1)
}

// testConcurrentOptimisticWriters runs writers that each read the stream's
// head and append with Exact, retrying on conflict, as command handlers do.
// Every write must land exactly once and in each writer's own order.
func testConcurrentOptimisticWriters(t *testing.T, s eventstore.Store) {
	const (
		writers   = 6
		perWriter = 15
		stream    = "optimistic"
	)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := 0; i < perWriter; {
				next, err := nextRevision(ctx, s, stream)
				if err != nil {
					errs[w] = err
					return
				}
				ev := newEvents(stream, next, 1)[0]
				ev.Data = fmt.Appendf(nil, `{"writer":%d,"seq":%d}`, w, i)
				_, err = s.Append(ctx, stream, expectAfter(next), []eventstore.EventData{ev})
				switch {
				case errors.Is(err, eventstore.ErrConcurrency):
					continue // lost the race: read the head again
				case err != nil:
					errs[w] = err
					return
				}
				i++
			}
		})
	}
	wg.Wait()
	for w, err := range errs {
		require.NoError(t, err, "writer %d", w)
	}

	stored, err := s.ReadStream(ctx, stream, 0, 0)
	require.NoError(t, err)
	require.Len(t, stored, writers*perWriter)
	seq := make([]int, writers)
	for i, e := range stored {
		require.Equal(t, uint64(i), e.Revision)
		var w, n int
		_, err := fmt.Sscanf(string(e.Data), `{"writer":%d,"seq":%d}`, &w, &n)
		require.NoError(t, err, "data %q", e.Data)
		assert.Equal(t, seq[w], n, "writer %d's events out of order at revision %d", w, i)
		seq[w] = n + 1
	}
	assertGapFree(t, readAll(t, s, 0, 100), 1)
}

// nextRevision returns the revision the next event of stream gets.
func nextRevision(ctx context.Context, s eventstore.Store, stream string) (uint64, error) {
	last, err := s.ReadStreamBackward(ctx, stream, math.MaxUint64, 1)
	switch {
	case errors.Is(err, eventstore.ErrStreamNotFound):
		return 0, nil
	case err != nil:
		return 0, err
	case len(last) != 1:
		return 0, fmt.Errorf("head of %s: got %d events", stream, len(last))
	}
	return last[0].Revision + 1, nil
}
