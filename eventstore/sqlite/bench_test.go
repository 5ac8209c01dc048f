package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/backendtest"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/stretchr/testify/require"
)

// Benchmarks report rates and ratios to a floor measured in the same run on
// the same machine, because absolute numbers on a shared 2-core VM drift.
// See BENCHMARKS.md for the commands and results.

// BenchmarkReadStream30 loads 30-event streams, as a command handler does to
// rebuild an aggregate, from a file holding 1,000 such streams; target: under
// 200 µs per load. x_floor is the store's loads/s divided by those of the
// same query scanned through database/sql directly (same pragmas), the two
// run in alternating chunks so that load from other processes hits both
// alike.
func BenchmarkReadStream30(b *testing.B) {
	const streams, perStream, chunk = 1000, 30, 200
	s, path := openStore(b, sqlite.Config{})
	ctx := context.Background()
	names := make([]string, streams)
	for i := range streams {
		names[i] = fmt.Sprintf("stream-%d", i)
		evs := make([]eventstore.EventData, perStream)
		for r := range evs {
			evs[r] = backendtest.BenchEvent(uint64(r))
		}
		_, err := s.Append(ctx, names[i], eventstore.NoStream(), evs)
		require.NoError(b, err)
	}
	db := openReadFloor(b, path)
	q, err := db.Prepare(`SELECT position, id, revision, type, data FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT -1`)
	require.NoError(b, err)
	defer q.Close()

	var storeTime, floorTime time.Duration
	b.ResetTimer()
	b.StopTimer()
	for done := 0; done < b.N; {
		n := min(chunk, b.N-done)
		b.StartTimer()
		start := time.Now()
		for i := range n {
			evs, err := s.ReadStream(ctx, names[(done+i)%streams], 0, 0)
			if err != nil || len(evs) != perStream {
				b.Fatalf("read %d events: %v", len(evs), err)
			}
		}
		storeTime += time.Since(start)
		b.StopTimer()

		start = time.Now()
		for i := range n {
			rows, err := q.Query(names[(done+i)%streams], 0)
			require.NoError(b, err)
			var (
				pos, rev int64
				id       []byte
				typ      string
				data     []byte
			)
			for rows.Next() {
				require.NoError(b, rows.Scan(&pos, &id, &rev, &typ, &data))
			}
			require.NoError(b, rows.Close())
		}
		floorTime += time.Since(start)
		done += n
	}
	b.ReportMetric(float64(storeTime.Microseconds())/float64(b.N), "µs/load")
	b.ReportMetric(float64(floorTime)/float64(storeTime), "x_floor")
}

// BenchmarkReadAll scans the global log in batches of 1,000 with ReadAll, as
// a projection rebuild does (without decoding, which is package events'
// part). x_floor is the store's events/s divided by the same query scanned
// into sql.RawBytes, copying nothing, in alternating chunks.
func BenchmarkReadAll(b *testing.B) {
	const batch, chunk = 1000, 10
	path, total := readAllFixture(b)
	s, err := sqlite.Open(context.Background(), path, sqlite.Config{})
	require.NoError(b, err)
	defer s.Close()
	ctx := context.Background()
	db := openReadFloor(b, path)
	q, err := db.Prepare(`SELECT position, id, stream, revision, type, data FROM events WHERE position > ? ORDER BY position LIMIT ?`)
	require.NoError(b, err)
	defer q.Close()

	var (
		storeTime, floorTime time.Duration
		after                uint64
		floorAfter           int64
	)
	b.ResetTimer()
	b.StopTimer()
	for scanned := 0; scanned < b.N; {
		b.StartTimer()
		start := time.Now()
		n := 0
		for range chunk {
			evs, err := s.ReadAll(ctx, after, batch)
			if err != nil {
				b.Fatal(err)
			}
			n += len(evs)
			if after = evs[len(evs)-1].Position; after == uint64(total) {
				after = 0
			}
		}
		storeTime += time.Since(start)
		b.StopTimer()
		scanned += n

		start = time.Now()
		for range chunk {
			rows, err := q.Query(floorAfter, batch)
			require.NoError(b, err)
			var (
				rev                   int64
				id, stream, typ, data sql.RawBytes
			)
			for rows.Next() {
				require.NoError(b, rows.Scan(&floorAfter, &id, &stream, &rev, &typ, &data))
			}
			require.NoError(b, rows.Close())
			if floorAfter == int64(total) {
				floorAfter = 0
			}
		}
		floorTime += time.Since(start)
	}
	b.ReportMetric(float64(b.N)/storeTime.Seconds(), "events/s")
	b.ReportMetric(floorTime.Seconds()/storeTime.Seconds(), "x_floor")
}

// openReadFloor opens a plain database/sql pool on path with the store's
// pragmas, for the read floors.
func openReadFloor(b *testing.B, path string) *sql.DB {
	b.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(b, err)
	b.Cleanup(func() { db.Close() })
	return db
}

var (
	fixtureOnce  sync.Once
	fixturePath  string
	fixtureTotal int
	fixtureErr   error
)

// readAllFixture builds, once per test binary run, a file holding 100,000
// events over 1,000 streams, interleaved as live traffic would be.
func readAllFixture(b *testing.B) (string, int) {
	b.Helper()
	fixtureOnce.Do(func() {
		const streams, rounds, perAppend = 1000, 20, 5
		dir, err := os.MkdirTemp("", "eventstore-bench-")
		if err != nil {
			fixtureErr = err
			return
		}
		fixtureDir = dir
		fixturePath = filepath.Join(dir, "readall.db")
		ctx := context.Background()
		s, err := sqlite.Open(ctx, fixturePath, sqlite.Config{})
		if err != nil {
			fixtureErr = err
			return
		}
		defer s.Close()
		if fixtureErr = backendtest.Fill(s, streams, rounds, perAppend); fixtureErr != nil {
			return
		}
		fixtureTotal = streams * rounds * perAppend
	})
	require.NoError(b, fixtureErr)
	return fixturePath, fixtureTotal
}

// fixtureDir is removed by TestMain.
var fixtureDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}
