package scheduler_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/internal/clock"
)

// TestMemoryDoesNotGrowWithClosedTickets starts a scheduler on a ledger of
// 100 and of 1,500 closed tickets, each beside the same three open ones,
// and measures the heap it keeps after stepping past their deadlines: the
// same few kilobytes whatever the history (the scheduler it replaced kept a
// folded ticket for every ticket the log had opened, about 6 KB each).
// Not parallel: it reads the process's heap.
func TestMemoryDoesNotGrowWithClosedTickets(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a ledger of 1,500 tickets")
	}
	retained := map[int]int64{}
	for _, closed := range []int{100, 1500} {
		ctx := context.Background()
		store := openStore(t)
		appendClosedTickets(t, store, closed)
		c := clock.NewManualClock(t0)
		h := commands.NewHandler(store, commands.WithClock(c.Now))
		for i := range 3 {
			do(t, h, fmt.Sprintf("T-open-%d", i), buyer, open(events.KindReturnRefund))
		}
		rm := openReadModel(t, store)
		rm.sync(t)
		_, err := newScheduler(t, rm, h, c).Step(ctx, t0) // warms the read model's statements
		require.NoError(t, err)

		before := heapInUse()
		s := newScheduler(t, rm, h, c)
		c.Set(t0.Add(72 * time.Hour))
		fired, err := s.Step(ctx, c.Now())
		require.NoError(t, err)
		require.Len(t, fired, 3, "the open tickets' merchant_response deadlines, and nothing of the closed ones")
		after := heapInUse()
		runtime.KeepAlive(s)
		retained[closed] = after - before
		t.Logf("%d closed tickets: the scheduler keeps %d bytes after its step (%d deadlines waiting for the read model)", closed, after-before, s.Status().Waiting)
	}
	for closed, b := range retained {
		assert.Less(t, b, int64(16<<10), "%d closed tickets: a scheduler keeps a few KB, not a ticket's worth per ticket", closed)
	}
}

// heapInUse returns the live heap after a full collection.
func heapInUse() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// appendClosedTickets plays n generated disputes to their close and appends
// each stream whole, from several goroutines so that commits are grouped.
func appendClosedTickets(t testing.TB, store eventstore.Store, n int) {
	t.Helper()
	pol := policy.Default()
	scs := scenarios.Generate(3, n, t0.AddDate(0, -6, 0), pol)
	jobs := make(chan []events.Envelope)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed error
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for envs := range jobs {
				data := make([]eventstore.EventData, len(envs))
				var err error
				for i, env := range envs {
					var raw []byte
					if raw, err = events.Encode(env); err != nil {
						break
					}
					data[i] = eventstore.EventData{ID: env.ID, Type: env.Type, Revision: env.Revision, Data: raw}
				}
				if err == nil {
					_, err = store.Append(context.Background(), envs[0].Stream, eventstore.NoStream(), data)
				}
				if err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
				}
			}
		}()
	}
	for _, sc := range scs {
		envs, err := scenarios.Play(sc, pol, func() uuid.UUID { return uuid.Must(uuid.NewV7()) })
		require.NoError(t, err)
		jobs <- envs
	}
	close(jobs)
	wg.Wait()
	require.NoError(t, failed)
}
