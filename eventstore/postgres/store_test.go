package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/backendtest"
	"github.com/disputes-ledger/disputes/eventstore/postgres"
	"github.com/disputes-ledger/disputes/internal/testenv"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawConn connects to the test schema directly, around the store.
func rawConn(t *testing.T, connString string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), connString)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestReopenKeepsEventsAndSchema(t *testing.T) {
	ctx := context.Background()
	connString, schema := testenv.PostgresSchema(t)
	s := backendtest.Reopen(t, func() *postgres.Store {
		s, err := postgres.Open(ctx, connString, postgres.Config{})
		require.NoError(t, err)
		return s
	})
	assert.Equal(t, schema, s.Schema(), "the schema on the search_path")
	v, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, v)
	var applied int
	require.NoError(t, rawConn(t, connString).QueryRow(ctx, `SELECT count(*) FROM eventstore_migrations`).Scan(&applied))
	assert.Equal(t, v, applied, "each migration recorded once, not again on reopen")
	res, err := s.Append(ctx, "reopen", eventstore.Exact(2), backendtest.Events(3, 1))
	require.NoError(t, err)
	assert.Equal(t, uint64(4), res.LastPosition, "positions carry on from the stored head")
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	_, connString := openStore(t, postgres.Config{})
	_, err := rawConn(t, connString).Exec(ctx, `INSERT INTO eventstore_migrations (version, name) VALUES (99, 'from the future')`)
	require.NoError(t, err)
	_, err = postgres.Open(ctx, connString, postgres.Config{})
	assert.ErrorIs(t, err, postgres.ErrSchemaTooNew)
}

func TestOpenInNamedSchema(t *testing.T) {
	ctx := context.Background()
	base := testenv.PostgresURL(t)
	schema := testenv.RandomName("t_named_")
	conn := rawConn(t, base)
	t.Cleanup(func() {
		_, err := conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
		assert.NoError(t, err)
	})

	// Two processes starting at once on a schema that does not exist yet:
	// the migration lock lets exactly one create it.
	stores := make([]*postgres.Store, 3)
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = postgres.Open(ctx, base, postgres.Config{Schema: schema}) })
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "open %d", i)
		defer stores[i].Close()
	}
	_, err := stores[0].Append(ctx, "named", eventstore.NoStream(), backendtest.Events(0, 1))
	require.NoError(t, err)
	got, err := stores[1].ReadStream(ctx, "named", 0, 0)
	require.NoError(t, err)
	assert.Len(t, got, 1, "the stores share the schema")
	var n int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 'eventstore\_%'`, schema).Scan(&n))
	assert.Equal(t, 3, n, "events, head and migrations, in the named schema")
}

func TestOpenRejectsBadArguments(t *testing.T) {
	base := testenv.PostgresURL(t)
	for _, tc := range []struct {
		name       string
		connString string
		cfg        postgres.Config
	}{
		{"not a connection string", "postgres://%zz", postgres.Config{}},
		{"negative batch", base, postgres.Config{MaxBatch: -1}},
		{"negative poll", base, postgres.Config{PollInterval: -time.Second}},
		{"schema name too long", base, postgres.Config{Schema: fmt.Sprintf("%064d", 0)}},
		{"no such database", "postgres://postgres@127.0.0.1:5432/no_such_database_here?connect_timeout=5", postgres.Config{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := postgres.Open(context.Background(), tc.connString, tc.cfg)
			if !assert.Error(t, err) {
				s.Close()
			}
		})
	}
}

func TestAppendRejectsTextPostgresCannotStore(t *testing.T) {
	s, _ := openStore(t, postgres.Config{})
	ctx := context.Background()
	for _, tc := range []struct {
		name, stream, typ string
	}{
		{"NUL in stream", "a\x00b", "t"},
		{"invalid UTF-8 stream", "a\xffb", "t"},
		{"NUL in type", "s", "t\x00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs := backendtest.Events(0, 1)
			evs[0].Type = tc.typ
			_, err := s.Append(ctx, tc.stream, eventstore.Any(), evs)
			assert.Error(t, err)
		})
	}
	all, err := s.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	assert.Empty(t, all)
}

func TestClose(t *testing.T) {
	s, _ := openStore(t, postgres.Config{})
	backendtest.Close(t, s, postgres.ErrClosed)
}

// TestCloseDuringAppends closes the store under load: every append must
// either succeed (and be stored) or report ErrClosed.
func TestCloseDuringAppends(t *testing.T) {
	connString, _ := testenv.PostgresSchema(t)
	backendtest.CloseDuringAppends(t, func() eventstore.Store {
		s, err := postgres.Open(context.Background(), connString, postgres.Config{})
		require.NoError(t, err)
		return s
	}, postgres.ErrClosed, 200*time.Millisecond)
}

// TestListenAcrossStores has one Store append and another, whose poll is an
// hour, follow: only LISTEN/NOTIFY can wake it. Then the listening
// connection is killed server-side: the listener must reconnect and the
// subscription still get the next events.
func TestListenAcrossStores(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	writer, connString := openStore(t, postgres.Config{})
	follower, err := postgres.Open(ctx, connString, postgres.Config{PollInterval: time.Hour})
	require.NoError(t, err)
	defer follower.Close()
	sub, err := follower.Subscribe(ctx, 0)
	require.NoError(t, err)

	next := func(t *testing.T) eventstore.RecordedEvent {
		t.Helper()
		select {
		case e, ok := <-sub.Events():
			require.True(t, ok, "subscription closed: %v", sub.Err())
			return e
		case <-time.After(10 * time.Second):
			require.FailNow(t, "no event within 10s: the notification did not arrive")
			return eventstore.RecordedEvent{}
		}
	}
	var rev uint64
	appendOne := func(t *testing.T) uuid.UUID {
		t.Helper()
		evs := backendtest.Events(rev, 1)
		_, err := writer.Append(ctx, "listen", backendtest.ExpectAfter(rev), evs)
		require.NoError(t, err)
		rev++
		return evs[0].ID
	}

	// Wait until the listener is up, so the first append is not simply
	// caught by the subscription's first read.
	conn := rawConn(t, connString)
	listenerPID := func() (pid int32, ok bool) {
		err := conn.QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND query LIKE '%'||$1||'%' AND state = 'idle'`, follower.Schema()).Scan(&pid)
		return pid, err == nil
	}
	require.Eventually(t, func() bool { _, ok := listenerPID(); return ok }, 10*time.Second, 20*time.Millisecond, "listener connected")

	for range 3 {
		id := appendOne(t)
		assert.Equal(t, id, next(t).ID)
	}

	pid, ok := listenerPID()
	require.True(t, ok)
	var killed bool
	require.NoError(t, conn.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&killed))
	require.True(t, killed)
	id := appendOne(t) // possibly while no connection listens
	assert.Equal(t, id, next(t).ID, "caught by the reconnecting listener's wake-up")
	require.Eventually(t, func() bool { p, ok := listenerPID(); return ok && p != pid }, 10*time.Second, 20*time.Millisecond, "listener reconnected")
	id = appendOne(t)
	assert.Equal(t, id, next(t).ID, "notifications flow again")
}
