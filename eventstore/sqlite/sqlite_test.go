package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/backendtest"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/eventstore/storetest"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openStore opens a store on a fresh file in the test's temporary directory
// and closes it when the test ends.
func openStore(tb testing.TB, cfg sqlite.Config) (*sqlite.Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "events.db")
	s, err := sqlite.Open(context.Background(), path, cfg)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, s.Close()) })
	return s, path
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		s, _ := openStore(t, sqlite.Config{})
		return s
	})
}

func TestReopenKeepsEventsAndSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	s := backendtest.Reopen(t, func() *sqlite.Store {
		s, err := sqlite.Open(ctx, path, sqlite.Config{})
		require.NoError(t, err)
		return s
	})
	v, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, v)

	db := openRaw(t, path)
	var applied int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM eventstore_migrations`).Scan(&applied))
	assert.Equal(t, v, applied, "each migration recorded once, not again on reopen")
	var mode string
	require.NoError(t, db.QueryRow(`PRAGMA journal_mode`).Scan(&mode))
	assert.Equal(t, "wal", mode)
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	_, path := openStore(t, sqlite.Config{})
	db := openRaw(t, path)
	_, err := db.Exec(`INSERT INTO eventstore_migrations (version, name, applied_at) VALUES (99, 'from the future', '')`)
	require.NoError(t, err)

	_, err = sqlite.Open(ctx, path, sqlite.Config{})
	assert.ErrorIs(t, err, sqlite.ErrSchemaTooNew)
}

func TestOpenRejectsBadArguments(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		path string
		cfg  sqlite.Config
	}{
		{"empty path", "", sqlite.Config{}},
		{"in-memory", ":memory:", sqlite.Config{}},
		{"URI", "file:x.db", sqlite.Config{}},
		{"question mark", filepath.Join(dir, "a?b.db"), sqlite.Config{}},
		{"negative batch", filepath.Join(dir, "neg.db"), sqlite.Config{MaxBatch: -1}},
		{"negative poll", filepath.Join(dir, "neg.db"), sqlite.Config{PollInterval: -time.Second}},
		{"directory missing", filepath.Join(dir, "no", "such", "dir", "x.db"), sqlite.Config{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlite.Open(context.Background(), tc.path, tc.cfg)
			if !assert.Error(t, err) {
				s.Close()
			}
		})
	}
}

func TestClose(t *testing.T) {
	s, _ := openStore(t, sqlite.Config{})
	backendtest.Close(t, s, sqlite.ErrClosed)
}

// TestCloseDuringAppends closes the store under load: every append must
// either succeed (and be on disk) or report ErrClosed, and no goroutine may
// outlive the store.
func TestCloseDuringAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	backendtest.CloseDuringAppends(t, func() eventstore.Store {
		s, err := sqlite.Open(context.Background(), path, sqlite.Config{})
		require.NoError(t, err)
		return s
	}, sqlite.ErrClosed, 100*time.Millisecond)
	assertNoLeaks(t)
}

// TestSharedFileWithProjection runs what the projections package will do:
// its own *sql.DB on the store's file (sqlite.DSN), writing a read model in
// the same file from a subscription while writers append. Neither side may
// see SQLITE_BUSY.
func TestSharedFileWithProjection(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, path := openStore(t, sqlite.Config{})

	proj, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(t, err)
	defer proj.Close()
	_, err = proj.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS proj_counts (stream TEXT PRIMARY KEY, n INTEGER NOT NULL, position INTEGER NOT NULL)`)
	require.NoError(t, err)

	const writers, perWriter = 8, 25
	sub, err := s.Subscribe(ctx, 0)
	require.NoError(t, err)
	projErr := make(chan error, 1)
	go func() {
		for seen := 0; seen < writers*perWriter; seen++ {
			e := <-sub.Events()
			tx, err := proj.BeginTx(ctx, nil)
			if err == nil {
				_, err = tx.ExecContext(ctx, `INSERT INTO proj_counts (stream, n, position) VALUES (?, 1, ?)
					ON CONFLICT (stream) DO UPDATE SET n = n + 1, position = excluded.position`, e.Stream, int64(e.Position))
				err = errors.Join(err, tx.Commit())
			}
			if err != nil {
				projErr <- err
				return
			}
		}
		projErr <- nil
	}()

	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			stream := fmt.Sprintf("shared-%d", w)
			for rev := range uint64(perWriter) {
				evs := backendtest.Events(rev, 1)
				if _, err := s.Append(ctx, stream, backendtest.ExpectAfter(rev), evs); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for w, err := range errs {
		require.NoError(t, err, "writer %d", w)
	}
	select {
	case err := <-projErr:
		require.NoError(t, err, "projection")
	case <-time.After(30 * time.Second):
		t.Fatal("projection did not catch up")
	}

	rows, err := proj.QueryContext(ctx, `SELECT stream, n FROM proj_counts ORDER BY stream`)
	require.NoError(t, err)
	defer rows.Close()
	counted := 0
	for rows.Next() {
		var stream string
		var n int
		require.NoError(t, rows.Scan(&stream, &n))
		assert.Equal(t, perWriter, n, stream)
		counted++
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, writers, counted)
}

// TestSubscribeWakesOnCommit checks that a live subscription is woken by the
// writer's commit, not by the fallback poll (set here to an hour).
func TestSubscribeWakesOnCommit(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, _ := openStore(t, sqlite.Config{PollInterval: time.Hour})
	sub, err := s.Subscribe(ctx, 0)
	require.NoError(t, err)
	time.Sleep(20 * time.Millisecond) // let it go idle
	for rev := range uint64(3) {
		evs := backendtest.Events(rev, 1)
		_, err := s.Append(ctx, "wake", backendtest.ExpectAfter(rev), evs)
		require.NoError(t, err)
		select {
		case e := <-sub.Events():
			assert.Equal(t, evs[0].ID, e.ID)
		case <-time.After(5 * time.Second):
			t.Fatalf("subscription not woken by commit %d", rev)
		}
	}
}

// TestTwoStoresOneFile stands in for two processes sharing a file: both
// append, positions stay gap-free, and a subscription on one sees the
// other's events through the poll.
func TestTwoStoresOneFile(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := sqlite.Config{PollInterval: 20 * time.Millisecond}
	a, path := openStore(t, cfg)
	b, err := sqlite.Open(ctx, path, cfg)
	require.NoError(t, err)
	defer b.Close()

	sub, err := a.Subscribe(ctx, 0)
	require.NoError(t, err)

	const perStore = 30
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, s := range []*sqlite.Store{a, b} {
		wg.Go(func() {
			// Both stores race on one stream: exactly one wins each revision.
			for n := 0; n < perStore; {
				next := uint64(0)
				if last, err := s.ReadStreamBackward(ctx, "both", math.MaxUint64, 1); err == nil {
					next = last[0].Revision + 1
				}
				evs := backendtest.Events(next, 1)
				_, err := s.Append(ctx, "both", backendtest.ExpectAfter(next), evs)
				if errors.Is(err, eventstore.ErrConcurrency) {
					continue
				}
				if err != nil {
					errs[i] = err
					return
				}
				n++
			}
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))

	var got []eventstore.RecordedEvent
	for len(got) < 2*perStore {
		select {
		case e := <-sub.Events():
			got = append(got, e)
		case <-time.After(10 * time.Second):
			t.Fatalf("subscription on store a saw %d of %d events", len(got), 2*perStore)
		}
	}
	for i, e := range got {
		assert.Equal(t, uint64(i+1), e.Position)
		assert.Equal(t, uint64(i), e.Revision)
	}
}

// TestHeadMovedByAnotherStore: store a's writer remembers the head it
// wrote; store b (another process) moves it on. a must not take its memory
// for the stream's head: a stale expectation is refused, the right one
// accepted, and a retry of b's append recognised.
func TestHeadMovedByAnotherStore(t *testing.T) {
	ctx := context.Background()
	a, path := openStore(t, sqlite.Config{})
	b, err := sqlite.Open(ctx, path, sqlite.Config{})
	require.NoError(t, err)
	defer b.Close()

	_, err = a.Append(ctx, "s", eventstore.NoStream(), backendtest.Events(0, 1))
	require.NoError(t, err)
	byB := backendtest.Events(1, 1)
	_, err = b.Append(ctx, "s", eventstore.Exact(0), byB)
	require.NoError(t, err)

	_, err = a.Append(ctx, "s", eventstore.Exact(0), backendtest.Events(1, 1))
	var ce *eventstore.ConcurrencyError
	require.ErrorAs(t, err, &ce, "a's memory of revision 0 is not the head")
	assert.Equal(t, uint64(1), ce.Actual)

	res, err := a.Append(ctx, "s", eventstore.Exact(0), byB)
	require.NoError(t, err)
	assert.Equal(t, eventstore.AppendResult{NextExpected: 1, LastPosition: 2, Duplicate: true}, res, "b's append, retried through a")

	res, err = a.Append(ctx, "s", eventstore.Exact(1), backendtest.Events(2, 2))
	require.NoError(t, err)
	assert.Equal(t, eventstore.AppendResult{NextExpected: 3, LastPosition: 4}, res)
	evs, err := b.ReadStream(ctx, "s", 0, 0)
	require.NoError(t, err)
	for i, e := range evs {
		assert.Equal(t, uint64(i), e.Revision)
		assert.Equal(t, uint64(i+1), e.Position)
	}
}

// openRaw opens a plain connection pool on the store's file.
func openRaw(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(tb, err)
	tb.Cleanup(func() { db.Close() })
	return db
}

// assertNoLeaks fails if a goroutine of the store or of database/sql is
// still running after the store was closed.
func assertNoLeaks(t *testing.T) {
	t.Helper()
	var leaked []string
	assert.Eventually(t, func() bool {
		buf := make([]byte, 1<<20)
		leaked = leaked[:0]
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, "eventstore/sqlite.(*") || strings.Contains(g, "database/sql.") {
				leaked = append(leaked, g)
			}
		}
		return len(leaked) == 0
	}, 5*time.Second, 10*time.Millisecond)
	for _, g := range leaked {
		t.Logf("leaked goroutine:\n%s", g)
	}
}

// TestCorruption edits the events table behind the store, as an operator
// with the file could: every read must refuse the edited row.
func TestCorruption(t *testing.T) {
	var path string // the current subtest's file: subtests run one at a time
	storetest.RunCorruption(t, func(t *testing.T) eventstore.Store {
		var s *sqlite.Store
		s, path = openStore(t, sqlite.Config{})
		return s
	}, func(t *testing.T, ev eventstore.RecordedEvent, column storetest.Column) string {
		db, err := sql.Open("sqlite", sqlite.DSN(path))
		require.NoError(t, err)
		defer db.Close()
		value := storetest.TamperedValue(ev, column)
		if id, ok := value.(uuid.UUID); ok {
			value = id[:] // stored as 16 bytes
		}
		_, err = db.Exec(`UPDATE events SET `+string(column)+` = ? WHERE position = ?`, value, ev.Position)
		require.NoError(t, err)
		if column == storetest.ColumnStream {
			return value.(string)
		}
		return ev.Stream
	})
}
