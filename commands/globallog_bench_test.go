package commands_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// BenchmarkGlobalLogDecode scans the global log in batches and decodes every
// envelope strictly (hash included), the way projections and auditors read
// it. The floor in the same run is the raw scan alone. "sequential" decodes
// on the scanning goroutine; "pipelined" overlaps the next batch's scan with
// the decoding of the current one, split over GOMAXPROCS workers.
// Target: ≥ 300,000 decoded events/s on this 2-core machine.
//
//	go test -run '^$' -bench GlobalLogDecode -benchtime 3x ./commands/
func BenchmarkGlobalLogDecode(b *testing.B) {
	ctx := context.Background()
	store, total := globalLogFixture(b, 100_000)
	const batch = 2000

	rate := func(b *testing.B) float64 {
		return float64(total) * float64(b.N) / b.Elapsed().Seconds()
	}
	var floor float64
	b.Run("floor=scan", func(b *testing.B) {
		for b.Loop() {
			n := scanAll(b, store, batch, func([]eventstore.RecordedEvent) {})
			require.Equal(b, total, n)
		}
		floor = rate(b)
		b.ReportMetric(floor, "events/s")
	})
	b.Run("sequential", func(b *testing.B) {
		for b.Loop() {
			n := scanAll(b, store, batch, func(recs []eventstore.RecordedEvent) { decodeAll(b, recs) })
			require.Equal(b, total, n)
		}
		b.ReportMetric(rate(b), "events/s")
		b.ReportMetric(rate(b)/floor, "x-floor")
	})
	b.Run("pipelined", func(b *testing.B) {
		for b.Loop() {
			var wg sync.WaitGroup
			n := scanAll(b, store, batch, func(recs []eventstore.RecordedEvent) {
				wg.Wait() // at most one batch decoding while the next is scanned
				wg.Add(2)
				half := len(recs) / 2
				go func() { defer wg.Done(); decodeAll(b, recs[:half]) }()
				go func() { defer wg.Done(); decodeAll(b, recs[half:]) }()
			})
			wg.Wait()
			require.Equal(b, total, n)
		}
		b.ReportMetric(rate(b), "events/s")
		b.ReportMetric(rate(b)/floor, "x-floor")
	})
	_ = ctx
}

func scanAll(b *testing.B, store eventstore.Store, batch int, each func([]eventstore.RecordedEvent)) int {
	ctx := context.Background()
	var after uint64
	n := 0
	for {
		recs, err := store.ReadAll(ctx, after, batch)
		if err != nil {
			b.Fatal(err)
		}
		if len(recs) == 0 {
			return n
		}
		each(recs)
		n += len(recs)
		after = recs[len(recs)-1].Position
	}
}

func decodeAll(b *testing.B, recs []eventstore.RecordedEvent) {
	for _, r := range recs {
		if _, err := events.Decode(r.Data); err != nil {
			b.Error(err)
			return
		}
	}
}

// globalLogFixture fills a fresh ledger with at least n events of generated
// tickets, appending each ticket's stream in one durable append from many
// goroutines (group commit keeps that quick).
func globalLogFixture(b *testing.B, n int) (eventstore.Store, int) {
	b.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "log.db"), sqlite.Config{})
	require.NoError(b, err)
	b.Cleanup(func() { _ = store.Close() })
	pol := policy.Default()
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	work := make(chan []eventstore.EventData)
	errs := make(chan error, 64)
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for data := range work {
				if _, err := store.Append(ctx, streamOf(data), eventstore.NoStream(), data); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	total := 0
	for seed := int64(1); total < n; seed++ {
		// Each round starts a year later, so its ticket ids are new.
		for _, sc := range scenarios.Generate(seed, 2000, start.AddDate(int(seed), 0, 0), pol) {
			envs, err := scenarios.Play(sc, pol, nil)
			require.NoError(b, err)
			data := make([]eventstore.EventData, len(envs))
			for i, env := range envs {
				wire, err := events.Encode(env)
				require.NoError(b, err)
				data[i] = eventstore.EventData{ID: env.ID, Type: env.Type, Revision: env.Revision, Data: wire}
			}
			work <- data
			total += len(data)
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(b, err)
	}
	return store, total
}

func streamOf(data []eventstore.EventData) string {
	env, err := events.Decode(data[0].Data)
	if err != nil {
		panic(err)
	}
	return env.Stream
}
