package projections_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/projections"
)

// The rebuild benchmark projects a ledger of generated tickets from
// position zero and compares the rate with a floor measured in the same
// run: a loop that only reads the log (ReadAll, pages of 1024) and decodes
// every event, which any projection has to do. "x-floor" is the rebuild's
// rate over the floor's: 1 would mean the projections are free.
//
//	go test -run '^$' -bench Rebuild -benchtime 1x ./projections/
//
// DISPUTES_BENCH_EVENTS sets the ledger's size (default 1,000,000; use
// 100000 for a quick run); DISPUTES_BENCH_PAGE the events per message and
// transaction (default: the projector's, 1024). The ledger is generated once and cached as
// $TMPDIR/disputes-bench-ledger-<size>.db; the read models go to a fresh
// file for every run, so the cached ledger is never written.

const benchEventsEnv = "DISPUTES_BENCH_EVENTS"

func benchSize(b *testing.B) int {
	n := 1_000_000
	if s := os.Getenv(benchEventsEnv); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("%s=%q: want a positive number of events", benchEventsEnv, s)
		}
		n = v
	}
	return n
}

// benchLedger returns the path of a cached ledger of about size events.
func benchLedger(b *testing.B, size int) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("disputes-bench-ledger-%d.db", size))
	done := path + ".complete"
	if _, err := os.Stat(done); err == nil {
		return path
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			b.Fatal(err)
		}
	}
	began := time.Now()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, path, sqlite.Config{MaxBatch: 1024, QueueSize: 4096})
	require.NoError(b, err)
	pol := policy.Default()
	// About 5.3 events per generated ticket; generate in batches until size.
	const batch = 20_000
	total := 0
	for seed := int64(1); total < size; seed++ {
		scs := generate(seed, batch, epoch.AddDate(0, 0, int(seed)*3), pol)
		total += appendConcurrently(b, store, pol, scs, size-total)
	}
	require.NoError(b, store.Close())
	require.NoError(b, os.WriteFile(done, []byte(strconv.Itoa(total)), 0o644))
	b.Logf("generated %s: %d events in %s", path, total, time.Since(began).Round(time.Second))
	return path
}

// appendConcurrently plays scenarios and appends each stream whole from
// several goroutines, so the store's group commit shares the fsyncs; it
// stops once limit events are appended and returns how many were.
func appendConcurrently(b *testing.B, store eventstore.Store, pol policy.Policy, scs []scenarios.Scenario, limit int) int {
	b.Helper()
	type job struct {
		stream string
		data   []eventstore.EventData
	}
	jobs := make(chan job, 256)
	var wg sync.WaitGroup
	var failed error
	var mu sync.Mutex
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if _, err := store.Append(context.Background(), j.stream, eventstore.NoStream(), j.data); err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
				}
			}
		}()
	}
	n := 0
	for _, sc := range scs {
		if n >= limit {
			break
		}
		envs, err := scenarios.Play(sc, pol, func() uuid.UUID { return uuid.Must(uuid.NewV7()) })
		require.NoError(b, err)
		data := make([]eventstore.EventData, len(envs))
		for i, env := range envs {
			raw, err := events.Encode(env)
			require.NoError(b, err)
			data[i] = eventstore.EventData{ID: env.ID, Type: env.Type, Revision: env.Revision, Data: raw}
		}
		jobs <- job{stream: envs[0].Stream, data: data}
		n += len(envs)
	}
	close(jobs)
	wg.Wait()
	require.NoError(b, failed)
	return n
}

func BenchmarkRebuild(b *testing.B) {
	size := benchSize(b)
	path := benchLedger(b, size)
	ctx := context.Background()
	store, err := sqlite.Open(ctx, path, sqlite.Config{})
	require.NoError(b, err)
	defer store.Close()
	head, err := projections.Head(ctx, store)
	require.NoError(b, err)

	var floor float64 // events/s of the scan-and-decode floor
	b.Run("floor=scan+decode", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			var after uint64
			for {
				recs, err := store.ReadAll(ctx, after, 1024)
				require.NoError(b, err)
				if len(recs) == 0 {
					break
				}
				for _, rec := range recs {
					if _, err := events.Decode(rec.Data); err != nil {
						b.Fatal(err)
					}
				}
				after = recs[len(recs)-1].Position
			}
			require.Equal(b, head, after)
		}
		floor = float64(head) * float64(b.N) / b.Elapsed().Seconds()
		b.ReportMetric(floor, "events/s")
		b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(head)/float64(b.N), "cpu-µs/event")
	})

	rebuild := func(name string, build func(db *projections.DB) []projections.Projection) {
		b.Run(name, func(b *testing.B) {
			var elapsed, cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db, err := openSQLite(ctx, filepath.Join(b.TempDir(), "read-models.db"))
				require.NoError(b, err)
				p := projections.NewProjector(store, db, build(db), projections.Options{PageSize: benchPage})
				b.StartTimer()
				began, cpu0 := time.Now(), cpuTime()
				rep, err := p.Rebuild(ctx)
				elapsed, cpu = elapsed+time.Since(began), cpu+cpuTime()-cpu0
				require.NoError(b, err)
				for _, pr := range rep.Projections {
					require.Equal(b, head, pr.To, pr.Name)
				}
				b.StopTimer()
				require.NoError(b, db.Close())
				b.StartTimer()
			}
			rate := float64(head) * float64(b.N) / elapsed.Seconds()
			b.ReportMetric(rate, "events/s")
			if floor > 0 {
				b.ReportMetric(rate/floor, "x-floor")
			}
			b.ReportMetric(float64(cpu.Microseconds())/float64(head)/float64(b.N), "cpu-µs/event")
		})
	}
	pol := policy.Default()
	rebuild("all", func(db *projections.DB) []projections.Projection { return projections.Default(db, pol) })
	rebuild("ticket_status", func(db *projections.DB) []projections.Projection {
		return []projections.Projection{projections.NewTicketStatus(db)}
	})
	rebuild("merchant_penalties", func(db *projections.DB) []projections.Projection {
		return []projections.Projection{projections.NewMerchantPenalties(db, pol)}
	})
	rebuild("audit_trail", func(db *projections.DB) []projections.Projection {
		return []projections.Projection{projections.NewAuditTrail(db)}
	})
	rebuild("deadlines", func(db *projections.DB) []projections.Projection {
		return []projections.Projection{projections.NewDeadlines(db)}
	})
}

// cpuTime returns the process's user and system CPU time so far: on a
// shared machine the CPU an operation costs is steadier than its wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchPage is DISPUTES_BENCH_PAGE, 0 (the default page size) when unset.
var benchPage = func() int { n, _ := strconv.Atoi(os.Getenv("DISPUTES_BENCH_PAGE")); return n }()
