package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/backendtest"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNoSkipUnderConcurrentWriters is the property the package doc argues
// for. Several Stores on one schema — separate pools, as separate processes
// would have — append at once, each batch pausing at random between its
// inserts and its COMMIT so transactions overlap as much as they can. Three
// readers follow the log meanwhile: a subscription on a Store that never
// writes (woken only by LISTEN/NOTIFY), a subscription on a writing Store
// (woken by its own commits too), and a loop polling ReadAll in small
// batches. Each must see every position exactly once, in order, and the
// same events as the final ReadAll.
func TestNoSkipUnderConcurrentWriters(t *testing.T) {
	const (
		stores          = 4
		writersPerStore = 4
		appendsEach     = 25 // every third carries two events
	)
	total := stores * writersPerStore * (appendsEach + (appendsEach+2)/3)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	first, connString := openTestStore(t, Config{})
	writers := []*Store{first}
	for range stores - 1 {
		s, err := Open(ctx, connString, Config{})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, s.Close()) })
		writers = append(writers, s)
	}
	for _, s := range writers {
		s.commitDelay = func() time.Duration { return time.Duration(rand.IntN(2000)) * time.Microsecond }
	}
	reader, err := Open(ctx, connString, Config{PollInterval: time.Hour}) // LISTEN or nothing
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, reader.Close()) })

	type seen struct {
		name string
		got  []eventstore.RecordedEvent
		err  error
	}
	var (
		readers []*seen
		rwg     sync.WaitGroup
	)
	follow := func(name string, s *Store) {
		r := &seen{name: name}
		readers = append(readers, r)
		sub, err := s.Subscribe(ctx, 0)
		require.NoError(t, err)
		rwg.Go(func() {
			for len(r.got) < total {
				e, ok := <-sub.Events()
				if !ok {
					r.err = fmt.Errorf("closed after %d events: %w", len(r.got), sub.Err())
					return
				}
				r.got = append(r.got, e)
			}
		})
	}
	follow("subscription on a reading store", reader)
	follow("subscription on a writing store", writers[0])
	poller := &seen{name: "ReadAll poller"}
	readers = append(readers, poller)
	rwg.Go(func() {
		var after uint64
		for len(poller.got) < total && ctx.Err() == nil {
			evs, err := reader.ReadAll(ctx, after, 7)
			if err != nil {
				poller.err = err
				return
			}
			poller.got = append(poller.got, evs...)
			if len(evs) > 0 {
				after = evs[len(evs)-1].Position
			}
		}
	})

	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		acked = make(map[uuid.UUID]bool)
		errs  = make([]error, stores*writersPerStore)
	)
	for w := range stores * writersPerStore {
		s := writers[w%stores]
		wg.Go(func() {
			stream := fmt.Sprintf("writer-%d", w)
			var next uint64
			for i := range appendsEach {
				evs := make([]eventstore.EventData, 1+btoi(i%3 == 0))
				for j := range evs {
					evs[j] = backendtest.Event(next + uint64(j))
				}
				exp := eventstore.NoStream()
				if next > 0 {
					exp = eventstore.Exact(next - 1)
				}
				if _, err := s.Append(ctx, stream, exp, evs); err != nil {
					errs[w] = err
					return
				}
				next += uint64(len(evs))
				mu.Lock()
				for _, e := range evs {
					acked[e.ID] = true
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for w, err := range errs {
		require.NoError(t, err, "writer %d", w)
	}
	rwg.Wait()

	final, err := reader.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, final, total)
	require.Len(t, acked, total)
	for i, e := range final {
		require.Equal(t, uint64(i+1), e.Position, "final log position %d", i)
		require.True(t, acked[e.ID], "event at position %d was never acknowledged", e.Position)
	}
	for _, r := range readers {
		t.Run(r.name, func(t *testing.T) {
			require.NoError(t, r.err)
			require.Len(t, r.got, total)
			for i, e := range r.got {
				if !assert.Equal(t, uint64(i+1), e.Position, "event %d: every position once, in order", i) {
					return
				}
			}
			assert.Equal(t, backendtest.IDs(final), backendtest.IDs(r.got), "same events as the final ReadAll")
		})
	}
	var batches uint64
	for _, s := range writers {
		batches += s.stats.Commits.Load()
	}
	t.Logf("%d events in %d overlapping batches from %d stores", total, batches, stores)
}

// TestHeadLockSerialisesWriters holds the head lock from a raw connection,
// as a writer in another process does between its lock and its COMMIT, with
// a row inserted at the next position. An Append must wait — it cannot take
// a position, let alone commit one, before the holder ends — and then
// carries on after the holder's row. A reader meanwhile sees none of it.
func TestHeadLockSerialisesWriters(t *testing.T) {
	s, connString := openTestStore(t, Config{})
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, connString)
	require.NoError(t, err)
	defer conn.Close(ctx)

	tx, err := conn.Begin(ctx)
	require.NoError(t, err)
	var head int64
	require.NoError(t, tx.QueryRow(ctx, s.q.lockHead).Scan(&head))
	other := uuid.New()
	_, err = tx.Exec(ctx, s.t.expand(`INSERT INTO {events} (position, id, stream, revision, type, data) VALUES ($1, $2, 'other', 0, 't', '')`), head+1, other)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, s.q.setHead, head+1)
	require.NoError(t, err)

	done := make(chan eventstore.AppendResult, 1)
	mine := backendtest.Event(0)
	go func() {
		res, err := s.Append(ctx, "mine", eventstore.NoStream(), []eventstore.EventData{mine})
		assert.NoError(t, err)
		done <- res
	}()
	select {
	case res := <-done:
		t.Fatalf("append committed at %d while another writer held the head", res.LastPosition)
	case <-time.After(300 * time.Millisecond):
	}
	all, err := s.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	assert.Empty(t, all, "nothing committed yet")

	require.NoError(t, tx.Commit(ctx))
	res := <-done
	assert.Equal(t, uint64(head+2), res.LastPosition, "the waiting append goes after the holder's row")
	all, err = s.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, []uuid.UUID{other, mine.ID}, backendtest.IDs(all))
}

// TestSequenceWouldSkip is the control for the design: it shows, with plain
// SQL in the test's schema, the skip that positions drawn from a sequence
// allow and the head lock rules out. Position 1 is drawn first but commits
// last; a reader that already moved past 2 never sees it.
func TestSequenceWouldSkip(t *testing.T) {
	_, connString := openTestStore(t, Config{})
	ctx := context.Background()
	conn := func() *pgx.Conn {
		c, err := pgx.Connect(ctx, connString)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close(ctx) })
		return c
	}
	a, b, reader := conn(), conn(), conn()
	_, err := a.Exec(ctx, `CREATE SEQUENCE naive_positions; CREATE TABLE naive_log (position bigint PRIMARY KEY)`)
	require.NoError(t, err)

	txA, err := a.Begin(ctx)
	require.NoError(t, err)
	_, err = txA.Exec(ctx, `INSERT INTO naive_log VALUES (nextval('naive_positions'))`) // 1
	require.NoError(t, err)
	_, err = b.Exec(ctx, `INSERT INTO naive_log VALUES (nextval('naive_positions'))`) // 2, committed
	require.NoError(t, err)

	var after int64
	require.NoError(t, reader.QueryRow(ctx, `SELECT max(position) FROM naive_log WHERE position > 0`).Scan(&after))
	require.NoError(t, txA.Commit(ctx))
	var missed int64
	require.NoError(t, reader.QueryRow(ctx, `SELECT count(*) FROM naive_log WHERE position <= $1`, after).Scan(&missed))
	assert.Equal(t, int64(2), after, "the reader's checkpoint moved to 2 …")
	assert.Equal(t, int64(2), missed, "… and position 1 appeared behind it, never to be read")
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
