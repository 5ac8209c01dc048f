package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/backendtest"
	"github.com/disputes-ledger/disputes/eventstore/internal/groupcommit"
	"github.com/disputes-ledger/disputes/internal/testenv"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openTestStore opens a store in a fresh schema and returns it with the
// schema's connection string.
func openTestStore(t *testing.T, cfg Config) (*Store, string) {
	t.Helper()
	connString, _ := testenv.PostgresSchema(t)
	s, err := Open(context.Background(), connString, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s, connString
}

// TestBatchRequestsAreIndependent: see backendtest. Here every request is
// checked in Go against the state the batch read under the head lock.
func TestBatchRequestsAreIndependent(t *testing.T) {
	s, _ := openTestStore(t, Config{})
	backendtest.BatchRequestsAreIndependent(t, s, s.commitBatch, &s.stats)
}

// TestBatchFailsWhole breaks the locking protocol on purpose — a row written
// at the next position without moving the head — so the batch's INSERT hits
// the primary key. Every request of the batch must fail, including one
// refused on its own (its refusal rested on an uncommitted sibling), and
// nothing may be written.
func TestBatchFailsWhole(t *testing.T) {
	s, _ := openTestStore(t, Config{})
	ctx := context.Background()
	_, err := s.pool.Exec(ctx, s.t.expand(`INSERT INTO {events} (position, id, stream, revision, type, data) VALUES (1, $1, 'rogue', 0, 't', '')`), uuid.New())
	require.NoError(t, err)

	first := &groupcommit.Request{Ctx: ctx, Stream: "x", Expected: eventstore.NoStream(), Events: []eventstore.EventData{backendtest.Event(0)}}
	refused := &groupcommit.Request{Ctx: ctx, Stream: "x", Expected: eventstore.NoStream(), Events: []eventstore.EventData{backendtest.Event(0)}}
	resps := s.commitBatch([]*groupcommit.Request{first, refused})
	require.Len(t, resps, 2)
	for _, got := range resps {
		require.Error(t, got.Err)
		assert.NotErrorIs(t, got.Err, eventstore.ErrConcurrency, "the batch's error, not a refusal")
	}
	var n, head int64
	require.NoError(t, s.pool.QueryRow(ctx, s.t.expand(`SELECT (SELECT count(*) FROM {events}), (SELECT position FROM {head})`)).Scan(&n, &head))
	assert.Equal(t, int64(1), n, "only the rogue row")
	assert.Equal(t, int64(0), head, "the head did not move")
}

// TestGroupCommit checks that concurrent appends share transactions.
func TestGroupCommit(t *testing.T) {
	s, _ := openTestStore(t, Config{})
	backendtest.GroupCommit(t, s, &s.stats)
}

func TestMigrationsNumbered(t *testing.T) {
	for i, m := range migrations {
		assert.Equal(t, i+1, m.Version, "migration %q", m.Name)
		assert.NotEmpty(t, m.Statements, "migration %d", m.Version)
	}
}

func TestChannelName(t *testing.T) {
	long := fmt.Sprintf("%063d", 7)
	for _, schema := range []string{"public", "t_0123456789abcdef", long} {
		name := channelName(schema)
		assert.LessOrEqual(t, len(name), maxIdentifier, "channel for %q", schema)
		assert.Equal(t, name, channelName(schema), "stable")
	}
	assert.NotEqual(t, channelName(long), channelName(long[1:]+"8"), "distinct schemas, distinct channels")
}
