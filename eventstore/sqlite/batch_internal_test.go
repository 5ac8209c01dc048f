package sqlite

import (
	"context"
	"fmt"
	"testing"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/backendtest"
	"github.com/disputes-ledger/disputes/eventstore/internal/groupcommit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func request(stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) *groupcommit.Request {
	return &groupcommit.Request{Ctx: context.Background(), Stream: stream, Expected: expected, Events: events}
}

// fillers returns n appends that each start a stream of their own.
func fillers(n int) []*groupcommit.Request {
	out := make([]*groupcommit.Request, n)
	for i := range out {
		out[i] = request(fmt.Sprintf("filler-%d", i), eventstore.NoStream(), backendtest.Event(0))
	}
	return out
}

// assertLog checks that the log holds exactly want's events, in order, at
// positions 1, 2, 3….
func assertLog(t *testing.T, s *Store, want []eventstore.EventData) {
	t.Helper()
	all, err := s.ReadAll(context.Background(), 0, 0)
	require.NoError(t, err)
	require.Equal(t, len(want), len(all), "events in the log")
	for i, e := range all {
		assert.Equal(t, uint64(i+1), e.Position, "gap-free")
		assert.Equal(t, want[i].ID, e.ID, "position %d", i+1)
	}
}

// TestOneCollisionFallsBackAlone: requests that would share one multi-row
// INSERT, one of them reusing an ID. The statement is undone whole, each
// request is then written alone, and only the one at fault fails.
func TestOneCollisionFallsBackAlone(t *testing.T) {
	s := openTestStore(t)
	a0, c0 := backendtest.Event(0), backendtest.Event(0)
	b0 := backendtest.Event(0)
	b0.ID = a0.ID
	resps := s.commitBatch([]*groupcommit.Request{
		request("a", eventstore.NoStream(), a0),
		request("b", eventstore.NoStream(), b0),
		request("c", eventstore.NoStream(), c0),
	})
	require.NoError(t, resps[0].Err)
	assert.ErrorIs(t, resps[1].Err, eventstore.ErrDuplicateID)
	require.NoError(t, resps[2].Err)
	assert.Equal(t, eventstore.AppendResult{NextExpected: 0, LastPosition: 2}, resps[2].Res)
	assertLog(t, s, []eventstore.EventData{a0, c0})
}

// TestRequestJudgedAfterFallback: a request that continues one still
// waiting for the INSERT, when that INSERT is full and fails, is judged by
// the stream as it really is. Here the request it builds on is refused, so
// it must be too: written, it would leave a gap in the stream.
func TestRequestJudgedAfterFallback(t *testing.T) {
	s := openTestStore(t)
	batch := fillers(maxRowsPerInsert - 1)
	reused := backendtest.Event(0)
	reused.ID = batch[0].Events[0].ID
	batch = append(batch,
		request("s", eventstore.NoStream(), reused),             // fills the INSERT, then fails
		request("s", eventstore.Exact(0), backendtest.Event(1)), // built on it
	)
	resps := s.commitBatch(batch)
	want := make([]eventstore.EventData, 0, len(batch))
	for i, r := range batch[:maxRowsPerInsert-1] {
		require.NoError(t, resps[i].Err, "filler %d", i)
		want = append(want, r.Events[0])
	}
	assert.ErrorIs(t, resps[len(batch)-2].Err, eventstore.ErrDuplicateID)
	assert.ErrorIs(t, resps[len(batch)-1].Err, eventstore.ErrConcurrency)
	assertLog(t, s, want)
	_, err := s.ReadStream(context.Background(), "s", 0, 0)
	assert.ErrorIs(t, err, eventstore.ErrStreamNotFound)
}

// TestBatchLargerThanOneInsert: more rows than one INSERT takes, and one
// request with more events than that, keep the requests' order.
func TestBatchLargerThanOneInsert(t *testing.T) {
	s := openTestStore(t)
	batch := fillers(2*maxRowsPerInsert + 3)
	long := request("long", eventstore.NoStream(), backendtest.Events(0, maxRowsPerInsert+5)...)
	batch = append(batch[:maxRowsPerInsert+1], append([]*groupcommit.Request{long}, batch[maxRowsPerInsert+1:]...)...)
	resps := s.commitBatch(batch)
	var want []eventstore.EventData
	for i, r := range batch {
		require.NoError(t, resps[i].Err, "request %d", i)
		want = append(want, r.Events...)
		assert.Equal(t, eventstore.AppendResult{NextExpected: uint64(len(r.Events) - 1), LastPosition: uint64(len(want))}, resps[i].Res, "request %d", i)
	}
	assertLog(t, s, want)
}

// TestWriterJournalsInMemory: the writer's statement journals stay in
// memory (writerDSN).
func TestWriterJournalsInMemory(t *testing.T) {
	s := openTestStore(t)
	var store int
	require.NoError(t, s.wconn.QueryRowContext(context.Background(), `PRAGMA temp_store`).Scan(&store))
	assert.Equal(t, 2, store, "MEMORY")
}

func TestKnownHeads(t *testing.T) {
	k := newKnownHeads(2)
	_, ok := k.get("a")
	assert.False(t, ok, "nothing known yet")
	k.committed("a", 3)
	k.committed("a", 1) // a retry's older revision: still a fact, not the head
	rev, ok := k.get("a")
	assert.True(t, ok)
	assert.Equal(t, uint64(3), rev, "the highest revision seen")
	k.committed("b", 0)
	k.committed("c", 5)
	assert.Len(t, k.last, 2, "bounded")
	rev, ok = k.get("c")
	assert.True(t, ok, "the newest entry is kept")
	assert.Equal(t, uint64(5), rev)
}
