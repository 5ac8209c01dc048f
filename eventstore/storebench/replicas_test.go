package storebench

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/backendtest"
	"github.com/disputes-ledger/disputes/eventstore/postgres"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// spread runs durable one-event appends from a fixed set of writers, writer
// w on stores[w % len(stores)], each on its own stream. Each store is a
// pool with its own group-commit writer, as a `serve` process has.
type spread struct {
	stores []eventstore.Store
	revs   []uint64
}

func (s *spread) run(b *testing.B, n int) time.Duration {
	b.Helper()
	ctx := context.Background()
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		errs = make([]error, len(s.revs))
	)
	start := time.Now()
	for w := range s.revs {
		wg.Go(func() {
			store, stream := s.stores[w%len(s.stores)], fmt.Sprintf("bench-%d", w)
			for next.Add(1) <= int64(n) {
				rev := s.revs[w]
				if _, err := store.Append(ctx, stream, backendtest.ExpectAfter(rev), []eventstore.EventData{backendtest.BenchEvent(rev)}); err != nil {
					errs[w] = err
					return
				}
				s.revs[w]++
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

// openPostgresIn opens a store in the schema connString names.
func openPostgresIn(b *testing.B, connString string) *postgres.Store {
	b.Helper()
	s, err := postgres.Open(context.Background(), connString, postgres.Config{})
	require.NoError(b, err)
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkReplicas asks what limits write throughput as `serve` replicas
// are added to one PostgreSQL ledger, and what partitioning the tickets
// across ledgers gives back. 64 writers append in three set-ups that take
// alternating turns on the same number of events (docs/deployment.md):
//
//   - one: one store (one process) — the floor;
//   - replicas: N stores on the same ledger (N processes): every append
//     takes the one head-row lock, so their commits queue behind each other;
//   - partitions: N stores, each on its own ledger (schema): N head rows.
//
// It reports each rate, x_one (the set-up's rate over the floor's) and
// lock_waiters: how many of the replicas' connections were, on average,
// waiting for a lock (of N appending at most one holds the head row).
func BenchmarkReplicas(b *testing.B) {
	const writers = 64
	for _, n := range []int{2, 4} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			shared, _ := testenv.PostgresSchema(b)
			one := &spread{stores: []eventstore.Store{openPostgresIn(b, shared)}, revs: make([]uint64, writers)}
			// The replicas write other streams of the same ledger, on
			// connections tagged so their lock waits can be counted.
			app := testenv.RandomName("bench-replicas-")
			replicas := &spread{revs: make([]uint64, writers)}
			for range n {
				replicas.stores = append(replicas.stores, openPostgresIn(b, withApp(b, shared, app)))
			}
			sampled := &lockSampler{runner: &renamed{replicas, "r"}, app: app, conn: testenv.PostgresURL(b)}
			partitions := &spread{revs: make([]uint64, writers)}
			for range n {
				own, _ := testenv.PostgresSchema(b)
				partitions.stores = append(partitions.stores, openPostgresIn(b, own))
			}
			times := interleaveAll(b, one, sampled, partitions)
			rate := func(d time.Duration) float64 { return float64(b.N) / d.Seconds() }
			b.ReportMetric(rate(times[0]), "one_events/s")
			b.ReportMetric(rate(times[1]), "replicas_events/s")
			b.ReportMetric(rate(times[2]), "partitions_events/s")
			b.ReportMetric(rate(times[1])/rate(times[0]), "x_one_replicas")
			b.ReportMetric(rate(times[2])/rate(times[0]), "x_one_partitions")
			b.ReportMetric(sampled.waiting(), "lock_waiters")
		})
	}
}

// lockSampler runs a set-up while it samples, every 2ms, how many of the
// set-up's connections wait for a lock (the head row: appends take no other
// row lock another append can hold).
type lockSampler struct {
	runner
	app, conn        string
	samples, waiters int
}

func (l *lockSampler) run(b *testing.B, n int) time.Duration {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	conn, err := pgx.Connect(ctx, l.conn)
	require.NoError(b, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			var w int
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, l.app).Scan(&w); err != nil {
				return
			}
			l.samples++
			l.waiters += w
		}
	}()
	d := l.runner.run(b, n)
	cancel()
	<-done
	_ = conn.Close(context.Background())
	return d
}

// waiting is the mean number of the set-up's connections found waiting.
func (l *lockSampler) waiting() float64 {
	if l.samples == 0 {
		return 0
	}
	return float64(l.waiters) / float64(l.samples)
}

func withApp(b *testing.B, raw, app string) string {
	b.Helper()
	u, err := url.Parse(raw)
	require.NoError(b, err)
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return u.String()
}

// renamed runs a spread on streams of its own prefix, so two set-ups can
// share a ledger without sharing streams.
type renamed struct {
	*spread
	prefix string
}

func (r *renamed) run(b *testing.B, n int) time.Duration {
	b.Helper()
	stores := make([]eventstore.Store, len(r.stores))
	for i, s := range r.stores {
		stores[i] = prefixed{s, r.prefix}
	}
	inner := &spread{stores: stores, revs: r.revs}
	d := inner.run(b, n)
	r.revs = inner.revs
	return d
}

// prefixed renames the streams it appends to.
type prefixed struct {
	eventstore.Store
	prefix string
}

func (p prefixed) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, evs []eventstore.EventData) (eventstore.AppendResult, error) {
	return p.Store.Append(ctx, p.prefix+stream, expected, evs)
}

// interleaveAll is interleave for any number of set-ups: each takes its
// share of every turn, so all see the same background load.
func interleaveAll(b *testing.B, rs ...runner) []time.Duration {
	b.Helper()
	b.ResetTimer()
	b.StopTimer()
	out := make([]time.Duration, len(rs))
	for i := range slices {
		share := b.N/slices + btoi(i < b.N%slices)
		if share == 0 {
			continue
		}
		for j, r := range rs {
			if j == 0 {
				b.StartTimer()
			}
			out[j] += r.run(b, share)
			if j == 0 {
				b.StopTimer()
			}
		}
	}
	return out
}
