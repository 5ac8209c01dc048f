package storebench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/backendtest"
	"github.com/disputes-ledger/disputes/eventstore/postgres"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/testenv"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// Every benchmark reports, for the same workload:
//   - pg_* and sqlite_*: each backend's rate or latency;
//   - x_sqlite: PostgreSQL's rate divided by SQLite's (above 1: PostgreSQL
//     is faster), or for latencies PostgreSQL's time divided by SQLite's
//     (above 1: PostgreSQL is slower).
// The backends take turns on the same number of operations (see
// interleave); ns/op times the PostgreSQL turns only.

// reportRates reports the events per second of b.N events each backend
// took pg and lite to handle, and their ratio.
func reportRates(b *testing.B, pg, lite time.Duration) {
	pgRate, liteRate := float64(b.N)/pg.Seconds(), float64(b.N)/lite.Seconds()
	b.ReportMetric(pgRate, "pg_events/s")
	b.ReportMetric(liteRate, "sqlite_events/s")
	b.ReportMetric(pgRate/liteRate, "x_sqlite")
}

// openPostgres opens a store in a fresh schema, dropped when b ends.
func openPostgres(b *testing.B) *postgres.Store {
	b.Helper()
	connString, _ := testenv.PostgresSchema(b)
	s, err := postgres.Open(context.Background(), connString, postgres.Config{})
	require.NoError(b, err)
	b.Cleanup(func() { s.Close() })
	return s
}

func openSQLite(b *testing.B) *sqlite.Store {
	b.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "events.db"), sqlite.Config{})
	require.NoError(b, err)
	b.Cleanup(func() { s.Close() })
	return s
}

// appender runs durable appends of one event each from a fixed set of
// writers, each on its own stream expecting the exact revision, and carries
// the streams' revisions over from one run to the next.
type appender struct {
	s    eventstore.Store
	revs []uint64 // next revision of each writer's stream
}

func newAppender(s eventstore.Store, writers int) *appender {
	return &appender{s: s, revs: make([]uint64, writers)}
}

// run appends n events and returns how long it took.
func (a *appender) run(b *testing.B, n int) time.Duration {
	b.Helper()
	ctx := context.Background()
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		errs = make([]error, len(a.revs))
	)
	start := time.Now()
	for w := range a.revs {
		wg.Go(func() {
			stream := fmt.Sprintf("bench-%d", w)
			for next.Add(1) <= int64(n) {
				rev := a.revs[w]
				if _, err := a.s.Append(ctx, stream, backendtest.ExpectAfter(rev), []eventstore.EventData{backendtest.BenchEvent(rev)}); err != nil {
					errs[w] = err
					return
				}
				a.revs[w]++
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, err := range errs {
		require.NoError(b, err)
	}
	return elapsed
}

// slices is how many alternating turns the two backends take in a
// benchmark, so that both see the same background load on the shared
// machine (fsync latency in particular drifts by a factor of several).
const slices = 8

// runner does n operations of a benchmark on one backend and returns the
// time they took.
type runner interface {
	run(b *testing.B, n int) time.Duration
}

// interleave resets the benchmark's timer, splits b.N operations into
// slices turns, runs pg's share then lite's share in each turn, and returns
// each side's total time. Only pg's turns are timed by the benchmark.
func interleave(b *testing.B, pg, lite runner) (pgTime, liteTime time.Duration) {
	b.Helper()
	b.ResetTimer()
	b.StopTimer()
	n := b.N
	for i := range slices {
		share := n/slices + btoi(i < n%slices)
		if share == 0 {
			continue
		}
		b.StartTimer()
		pgTime += pg.run(b, share)
		b.StopTimer()
		liteTime += lite.run(b, share)
	}
	return pgTime, liteTime
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// BenchmarkAppend measures durable appends (PostgreSQL: synchronous_commit
// on; SQLite: WAL with synchronous=FULL), one event per call, each writer on
// its own stream. Both backends group-commit concurrent appends.
func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			pg, lite := newAppender(openPostgres(b), writers), newAppender(openSQLite(b), writers)
			pgTime, liteTime := interleave(b, pg, lite)
			reportRates(b, pgTime, liteTime)
		})
	}
}

// loader reads whole 30-event streams, cycling over them.
type loader struct {
	s                  eventstore.Store
	streams, perStream int
	i                  int
}

func (l *loader) run(b *testing.B, n int) time.Duration {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	for range n {
		evs, err := l.s.ReadStream(ctx, fmt.Sprintf("stream-%d", l.i%l.streams), 0, 0)
		if err != nil || len(evs) != l.perStream {
			b.Fatalf("read %d events: %v", len(evs), err)
		}
		l.i++
	}
	return time.Since(start)
}

// BenchmarkReadStream30 loads 30-event streams, as a command handler does to
// rebuild an aggregate, from a store holding 1,000 such streams.
func BenchmarkReadStream30(b *testing.B) {
	const streams, perStream = 1000, 30
	pgStore, liteStore := openPostgres(b), openSQLite(b)
	require.NoError(b, backendtest.Fill(pgStore, streams, 1, perStream))
	require.NoError(b, backendtest.Fill(liteStore, streams, 1, perStream))
	pg := &loader{s: pgStore, streams: streams, perStream: perStream}
	lite := &loader{s: liteStore, streams: streams, perStream: perStream}

	pgTime, liteTime := interleave(b, pg, lite)
	b.ReportMetric(float64(pgTime.Nanoseconds())/1e3/float64(b.N), "pg_µs/load")
	b.ReportMetric(float64(liteTime.Nanoseconds())/1e3/float64(b.N), "sqlite_µs/load")
	b.ReportMetric(float64(pgTime)/float64(liteTime), "x_sqlite")
}

// scanner reads the global log in batches of 1,000, wrapping round at the
// end.
type scanner struct {
	s     eventstore.Store
	total int
	after uint64
}

func (sc *scanner) run(b *testing.B, n int) time.Duration {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	for scanned := 0; scanned < n; {
		evs, err := sc.s.ReadAll(ctx, sc.after, min(1000, n-scanned))
		if err != nil || len(evs) == 0 {
			b.Fatalf("read all after %d: %d events, %v", sc.after, len(evs), err)
		}
		scanned += len(evs)
		sc.after = evs[len(evs)-1].Position
		if sc.after == uint64(sc.total) {
			sc.after = 0
		}
	}
	return time.Since(start)
}

// BenchmarkReadAll scans the global log in batches of 1,000 with ReadAll, as
// a projection rebuild does (without decoding), over 100,000 events in 1,000
// streams.
func BenchmarkReadAll(b *testing.B) {
	pgStore, liteStore, total := readAllFixture(b)
	pg, lite := &scanner{s: pgStore, total: total}, &scanner{s: liteStore, total: total}
	pgTime, liteTime := interleave(b, pg, lite)
	reportRates(b, pgTime, liteTime)
}

// The ReadAll fixture is built once per test binary run: the benchmark
// function is called again for every b.N, and filling 100,000 events takes
// seconds. TestMain closes the stores, drops the schema and removes the file.
var fixture struct {
	once     sync.Once
	pg       *postgres.Store
	lite     *sqlite.Store
	total    int
	err      error
	schema   string
	baseConn string
	dir      string
}

func readAllFixture(b *testing.B) (eventstore.Store, eventstore.Store, int) {
	b.Helper()
	base := testenv.PostgresURL(b) // skips or fails here, not inside the Once
	fixture.once.Do(func() {
		const streams, rounds, perAppend = 1000, 20, 5
		ctx := context.Background()
		fixture.baseConn = base
		fixture.schema = testenv.RandomName("bench_")
		fixture.pg, fixture.err = postgres.Open(ctx, base, postgres.Config{Schema: fixture.schema})
		if fixture.err != nil {
			return
		}
		if fixture.dir, fixture.err = os.MkdirTemp("", "storebench-"); fixture.err != nil {
			return
		}
		if fixture.lite, fixture.err = sqlite.Open(ctx, filepath.Join(fixture.dir, "events.db"), sqlite.Config{}); fixture.err != nil {
			return
		}
		if fixture.err = backendtest.Fill(fixture.pg, streams, rounds, perAppend); fixture.err != nil {
			return
		}
		fixture.err = backendtest.Fill(fixture.lite, streams, rounds, perAppend)
		fixture.total = streams * rounds * perAppend
	})
	require.NoError(b, fixture.err)
	return fixture.pg, fixture.lite, fixture.total
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.pg != nil {
		fixture.pg.Close()
		if conn, err := pgx.Connect(context.Background(), fixture.baseConn); err == nil {
			_, _ = conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{fixture.schema}.Sanitize()+" CASCADE")
			conn.Close(context.Background())
		}
	}
	if fixture.lite != nil {
		fixture.lite.Close()
	}
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}
