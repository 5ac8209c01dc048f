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

// arrivals is a batchSource that hands its requests over in the given
// groups, one per Take, as if each group joined the batch while the writer
// waited.
type arrivals struct {
	groups [][]*groupcommit.Request
	taken  int // groups handed over
	joined int // groups joined (Wait lets the next one join)
	all    []*groupcommit.Request
}

func newArrivals(groups ...[]*groupcommit.Request) *arrivals {
	a := &arrivals{groups: groups, joined: 1}
	a.all = append(a.all, groups[0]...)
	return a
}

func (a *arrivals) Take() ([]*groupcommit.Request, bool) {
	if a.taken == a.joined {
		return nil, a.joined < len(a.groups)
	}
	g := a.groups[a.taken]
	a.taken++
	return g, a.joined < len(a.groups)
}

func (a *arrivals) Wait() {
	if a.joined < len(a.groups) && a.taken == a.joined {
		a.all = append(a.all, a.groups[a.joined]...)
		a.joined++
	}
}

func (a *arrivals) Requests() []*groupcommit.Request { return a.all }

// TestRequestsJoiningAfterAFlush: the writer inserts the rows it holds
// while it waits for the rest of a batch (flushWhileWaiting); the requests
// that join after that are judged against those rows, as if the batch had
// been complete from the start: a retry of one of them is a duplicate, an
// ID reused or a stale expected revision is refused alone, a continuation
// follows, and the log stays gap-free.
func TestRequestsJoiningAfterAFlush(t *testing.T) {
	s := openTestStore(t)
	early := fillers(flushWhileWaiting + 2) // enough to be flushed before the Wait
	retry := request(early[1].Stream, eventstore.NoStream(), early[1].Events...)
	reused := backendtest.Event(0)
	reused.ID = early[2].Events[0].ID
	next := backendtest.Event(1)
	late := []*groupcommit.Request{
		retry,
		request("reuser", eventstore.NoStream(), reused),
		request(early[3].Stream, eventstore.NoStream(), backendtest.Event(0)), // stale: the stream exists
		request(early[4].Stream, eventstore.Exact(0), next),
	}
	resps := s.commitFrom(newArrivals(early, late))
	require.Len(t, resps, len(early)+len(late))
	want := make([]eventstore.EventData, 0, len(early)+1)
	for i, r := range early {
		require.NoError(t, resps[i].Err, "early %d", i)
		want = append(want, r.Events[0])
	}
	lateResps := resps[len(early):]
	require.NoError(t, lateResps[0].Err)
	assert.Equal(t, eventstore.AppendResult{NextExpected: 0, LastPosition: 2, Duplicate: true}, lateResps[0].Res, "the retry")
	assert.ErrorIs(t, lateResps[1].Err, eventstore.ErrDuplicateID)
	assert.ErrorIs(t, lateResps[2].Err, eventstore.ErrConcurrency)
	require.NoError(t, lateResps[3].Err)
	assert.Equal(t, eventstore.AppendResult{NextExpected: 1, LastPosition: uint64(len(early) + 1)}, lateResps[3].Res)
	assertLog(t, s, append(want, next))
}
