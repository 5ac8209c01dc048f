package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// appendData is the Data of every appended event: random bytes of a typical
// encoded envelope's size, as the event store's own benchmarks use (the
// store does not decode what it appends).
var appendData = func() []byte {
	b := make([]byte, 300)
	_, _ = rand.Read(b)
	return b
}()

// appendRounds and appendTurn are the append figures' own rounds and turn
// length, longer than the other figures': a turn is a few hundred to a few
// thousand fsyncs, whose time swings with every other process's use of
// the disk, and with --quick's 3 turns of 400 ms the ratios ranged from
// 0.29 to 8.2 under load. Together the two figures take about 20 s of
// --quick (5 rounds of 1 s turns on each side) and a minute of a full run.
func appendRounds(o Options) int {
	if o.Quick {
		return 5
	}
	return 7
}

func appendTurn(o Options) time.Duration {
	if o.Turn > 0 {
		return o.Turn
	}
	if o.Quick {
		return time.Second
	}
	return 2 * time.Second
}

// appendOneWriter: durable appends (WAL, synchronous=FULL, group commit), one
// event per call to one stream with its exact revision, from one writer;
// the floor is a raw INSERT of the same row, one transaction each, through
// database/sql on a file with the store's schema and pragmas.
func appendOneWriter(ctx context.Context, r *runner) ([]Result, error) {
	store, floor, closeAll, err := appendFixtures(ctx, r)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	var rev uint64
	fig := func(ctx context.Context) (float64, time.Duration, error) {
		return timed(ctx, appendTurn(r.opts), func() error {
			if _, err := store.Append(ctx, "bench-0", expectAfter(rev), []eventstore.EventData{appendEvent(rev)}); err != nil {
				return err
			}
			rev++
			return nil
		})
	}
	m, err := r.alternate(ctx, appendRounds(r.opts), floor.turn(appendTurn(r.opts), 1), fig)
	if err != nil {
		return nil, err
	}
	return []Result{rateResult("append_1_writer", "events/s", "raw INSERT through database/sql, one transaction (one fsync) each", m)}, nil
}

// appendManyWriters: 64 writers, each appending one event per call to its
// own stream; the floor is the ideal group commit, one goroutine inserting
// the same rows 64 per transaction with nothing else to do.
func appendManyWriters(ctx context.Context, r *runner) ([]Result, error) {
	const writers = 64
	store, floor, closeAll, err := appendFixtures(ctx, r)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	revs := make([]uint64, writers)
	fig := func(ctx context.Context) (float64, time.Duration, error) {
		var (
			n    atomic.Int64
			wg   sync.WaitGroup
			errs = make([]error, writers)
		)
		d := appendTurn(r.opts)
		start := time.Now()
		for w := range writers {
			wg.Go(func() {
				stream := fmt.Sprintf("bench-%d", w)
				// Every writer appends at least once, however late it
				// started on a busy machine.
				for first := true; first || time.Since(start) < d && ctx.Err() == nil; first = false {
					if _, err := store.Append(ctx, stream, expectAfter(revs[w]), []eventstore.EventData{appendEvent(revs[w])}); err != nil {
						errs[w] = err
						return
					}
					revs[w]++
					n.Add(1)
				}
			})
		}
		wg.Wait()
		took := time.Since(start)
		for _, err := range errs {
			if err != nil {
				return 0, took, err
			}
		}
		return float64(n.Load()), took, nil
	}
	m, err := r.alternate(ctx, appendRounds(r.opts), floor.turn(appendTurn(r.opts), writers), fig)
	if err != nil {
		return nil, err
	}
	return []Result{rateResult("append_64_writers", "events/s", "one goroutine, raw INSERTs 64 per transaction (ideal group commit)", m)}, nil
}

// appendFixtures opens a fresh store and a fresh raw-insert file beside it.
func appendFixtures(ctx context.Context, r *runner) (*sqlite.Store, *rawInserter, func(), error) {
	dir, err := r.tempDir()
	if err != nil {
		return nil, nil, nil, err
	}
	store, err := sqlite.Open(ctx, dir+"/store.db", sqlite.Config{})
	if err != nil {
		return nil, nil, nil, err
	}
	floor, err := newRawInserter(ctx, dir+"/floor.db")
	if err != nil {
		_ = store.Close()
		return nil, nil, nil, err
	}
	return store, floor, func() { _ = store.Close(); floor.close() }, nil
}

func appendEvent(rev uint64) eventstore.EventData {
	return eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "bench.appended", Revision: rev, Data: appendData}
}

// expectAfter is the expected revision of a stream holding n events.
func expectAfter(n uint64) eventstore.ExpectedRevision {
	if n == 0 {
		return eventstore.NoStream()
	}
	return eventstore.Exact(n - 1)
}

// rawInserter inserts rows straight through database/sql into a file with
// the store's schema and pragmas, on one connection.
type rawInserter struct {
	db     *sql.DB
	insert *sql.Stmt
	pos    int64
}

func newRawInserter(ctx context.Context, path string) (*rawInserter, error) {
	s, err := sqlite.Open(ctx, path, sqlite.Config{}) // creates the schema
	if err != nil {
		return nil, err
	}
	if err := s.Close(); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	insert, err := db.PrepareContext(ctx, `INSERT INTO events (position, id, stream, revision, type, data) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &rawInserter{db: db, insert: insert}, nil
}

func (ri *rawInserter) close() {
	_ = ri.insert.Close()
	_ = ri.db.Close()
}

// turn returns a turn that inserts perTx rows per transaction, spread over
// perTx streams, for about d.
func (ri *rawInserter) turn(d time.Duration, perTx int) turnFunc {
	return func(ctx context.Context) (float64, time.Duration, error) {
		n, took, err := timed(ctx, d, func() error { return ri.insertTx(perTx) })
		return n * float64(perTx), took, err
	}
}

// insertTx inserts rows in one transaction. It passes no context, as the
// store's writer does not: with a cancellable one the driver starts a
// watcher goroutine per statement, which is no part of a floor.
func (ri *rawInserter) insertTx(rows int) error {
	tx, err := ri.db.Begin()
	if err != nil {
		return err
	}
	st := tx.Stmt(ri.insert)
	for range rows {
		ri.pos++
		p := ri.pos
		id := uuid.Must(uuid.NewV7())
		stream := fmt.Sprintf("floor-%d", (p-1)%int64(rows))
		if _, err := st.Exec(p, id[:], stream, (p-1)/int64(rows), "bench.appended", appendData); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}
