package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/backendtest"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// BenchmarkAppend measures durable appends: each writer appends one event per
// call to its own stream, expecting the exact revision. Reported:
//   - events/s: acknowledged (committed, fsynced) events per second;
//   - x_floor: events/s divided by the rate of raw database/sql INSERTs of
//     the same rows into the same schema with the same pragmas, one
//     transaction (so one WAL fsync) per INSERT. For 64 writers the floor has
//     64 goroutines share one connection, each INSERT its own transaction:
//     what raw SQLite gives concurrent writers without group commit;
//   - floor_events/s: that floor's rate;
//   - cpu_µs/event: the process's CPU time (user and system) during the
//     store's phases per event, where the platform reports it: what the
//     appends cost the machine, which the load of other processes shifts
//     less than it shifts rates;
//   - x_batched (64 writers only): events/s divided by the rate of one
//     goroutine inserting the same rows 64 per transaction, the best a group
//     commit could do with no queueing, checks or answers. It shows what the
//     machinery costs.
//
// The store and the floors run in alternating phases of about 0.1 s, each
// floor phase lasting as long as the store phase before it, so that other
// processes' load on the shared machine weighs on all of them alike.
func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			benchAppend(b, writers, sqlite.Config{})
		})
	}
}

// BenchmarkAppendBatchWait runs the 64-writer append benchmark with other
// values of Config.MaxBatchWait, the writer's linger for returning callers.
func BenchmarkAppendBatchWait(b *testing.B) {
	for _, wait := range []time.Duration{-1, 200 * time.Microsecond, 500 * time.Microsecond, time.Millisecond} {
		name := wait.String()
		if wait < 0 {
			name = "off"
		}
		b.Run("wait="+name, func(b *testing.B) {
			benchAppend(b, 64, sqlite.Config{MaxBatchWait: wait})
		})
	}
}

func benchAppend(b *testing.B, writers int, cfg sqlite.Config) {
	phase := 200 * writers / 8 // appends per store phase, ~0.1 s
	if writers == 1 {
		phase = 200
	}
	store := newStoreAppender(b, writers, cfg)
	floor := newRawInserter(b, writers, 1, writers)
	var batched *rawInserter
	if writers > 1 {
		batched = newRawInserter(b, 1, writers, writers)
	}

	var storeTime, storeCPU time.Duration
	b.ResetTimer()
	b.StopTimer()
	for done := 0; done < b.N; {
		n := min(phase, b.N-done)
		b.StartTimer()
		start := time.Now()
		cpu := processCPU()
		store.run(b, n)
		storeCPU += processCPU() - cpu
		elapsed := time.Since(start)
		b.StopTimer()
		storeTime += elapsed
		done += n
		floor.runFor(b, elapsed)
		if batched != nil {
			batched.runFor(b, elapsed)
		}
	}
	rate := float64(b.N) / storeTime.Seconds()
	b.ReportMetric(rate, "events/s")
	if storeCPU > 0 {
		b.ReportMetric(float64(storeCPU.Microseconds())/float64(b.N), "cpu_µs/event")
	}
	b.ReportMetric(floor.rate(), "floor_events/s")
	b.ReportMetric(rate/floor.rate(), "x_floor")
	if batched != nil {
		b.ReportMetric(rate/batched.rate(), "x_batched")
	}
	if commits, appends := sqlite.CommitStats(store.s); commits > 0 {
		b.ReportMetric(float64(appends)/float64(commits), "appends/commit")
	}
}

// storeAppender appends through a Store from a fixed set of writers, each
// to its own stream.
type storeAppender struct {
	s    *sqlite.Store
	revs []uint64 // next revision of each writer's stream
}

func newStoreAppender(b *testing.B, writers int, cfg sqlite.Config) *storeAppender {
	s, _ := openStore(b, cfg)
	return &storeAppender{s: s, revs: make([]uint64, writers)}
}

// run makes n appends, shared among the writers as they come free.
func (a *storeAppender) run(b *testing.B, n int) {
	ctx := context.Background()
	var (
		left atomic.Int64
		wg   sync.WaitGroup
		errs = make([]error, len(a.revs))
	)
	left.Store(int64(n))
	for w := range a.revs {
		wg.Go(func() {
			stream := fmt.Sprintf("bench-%d", w)
			for left.Add(-1) >= 0 {
				rev := a.revs[w]
				ev := backendtest.BenchEvent(rev)
				if _, err := a.s.Append(ctx, stream, backendtest.ExpectAfter(rev), []eventstore.EventData{ev}); err != nil {
					errs[w] = err
					return
				}
				a.revs[w]++
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(b, err)
	}
}

// rawInserter inserts rows straight through database/sql into a file with
// the store's schema and pragmas: writers goroutines share one connection,
// perTx rows per transaction, and row p goes to stream p mod streams so the
// rows touch as many streams as the store's appends do.
type rawInserter struct {
	db      *sql.DB
	insert  *sql.Stmt
	writers int
	perTx   int
	names   []string
	pos     atomic.Int64
	rows    int64
	elapsed time.Duration
}

func newRawInserter(b *testing.B, writers, perTx, streams int) *rawInserter {
	b.Helper()
	path := filepath.Join(b.TempDir(), "floor.db")
	s, err := sqlite.Open(context.Background(), path, sqlite.Config{}) // creates the schema
	require.NoError(b, err)
	require.NoError(b, s.Close())
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(b, err)
	b.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	insert, err := db.Prepare(`INSERT INTO events (position, id, stream, revision, type, data) VALUES (?, ?, ?, ?, ?, ?)`)
	require.NoError(b, err)
	b.Cleanup(func() { insert.Close() })
	r := &rawInserter{db: db, insert: insert, writers: writers, perTx: perTx, names: make([]string, streams)}
	for i := range r.names {
		r.names[i] = fmt.Sprintf("floor-%d", i)
	}
	return r
}

// runFor inserts rows, a round of writers*perTx at a time, until at least d
// has passed.
func (r *rawInserter) runFor(b *testing.B, d time.Duration) {
	start := time.Now()
	for time.Since(start) < d {
		r.run(b, r.writers*r.perTx)
	}
	r.elapsed += time.Since(start)
}

// run inserts n rows.
func (r *rawInserter) run(b *testing.B, n int) {
	var (
		wg   sync.WaitGroup
		left atomic.Int64
		errs = make([]error, r.writers)
	)
	left.Store(int64(n))
	streams := int64(len(r.names))
	for w := range r.writers {
		wg.Go(func() {
			for left.Load() > 0 {
				tx, err := r.db.Begin()
				if err != nil {
					errs[w] = err
					return
				}
				st := tx.Stmt(r.insert)
				for range r.perTx {
					if left.Add(-1) < 0 {
						break
					}
					p := r.pos.Add(1)
					id := uuid.Must(uuid.NewV7())
					if _, err := st.Exec(p, id[:], r.names[(p-1)%streams], (p-1)/streams, "bench.appended", backendtest.BenchData); err != nil {
						errs[w] = err
						_ = tx.Rollback()
						return
					}
				}
				if err := tx.Commit(); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(b, err)
	}
	r.rows += int64(n)
}

// rate is rows per second over every runFor so far.
func (r *rawInserter) rate() float64 { return float64(r.rows) / r.elapsed.Seconds() }
