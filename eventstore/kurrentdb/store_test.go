package kurrentdb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/kurrentdb"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ledgerEvents(stream string, from uint64, n int) []eventstore.EventData {
	evs := make([]eventstore.EventData, n)
	for i := range evs {
		rev := from + uint64(i)
		evs[i] = eventstore.EventData{ID: uuid.New(), Type: "refund.requested", Revision: rev, Data: fmt.Appendf(nil, `{"stream":%q,"rev":%d}`, stream, rev)}
	}
	return evs
}

// rawClient connects the official client to url, as another application
// sharing the server would.
func rawClient(t *testing.T, url string) *esdb.Client {
	t.Helper()
	cfg, err := esdb.ParseConnectionString(url)
	require.NoError(t, err)
	cfg.Logger = esdb.NoopLogging()
	c, err := esdb.NewClient(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func receiveN(t *testing.T, sub eventstore.Subscription, n int) []eventstore.RecordedEvent {
	t.Helper()
	got := []eventstore.RecordedEvent{}
	timeout := time.After(10 * time.Second)
	for len(got) < n {
		select {
		case e, ok := <-sub.Events():
			require.True(t, ok, "closed after %d events: %v", len(got), sub.Err())
			got = append(got, e)
		case <-timeout:
			require.FailNow(t, "subscription stalled", "%d of %d events", len(got), n)
		}
	}
	return got
}

// TestOtherEventsDoNotCount interleaves, in $all, system events, another
// application's events and another namespace's ledger events with the
// store's own: positions must stay dense and agree across every read path.
func TestOtherEventsDoNotCount(t *testing.T) {
	ctx := context.Background()
	srv := startDouble(t)
	raw := rawClient(t, srv.URL())
	s := open(t, srv.URL(), kurrentdb.Config{Namespace: "a/"})
	// A namespace that starts like this one's: only the metadata tells.
	other := open(t, srv.URL(), kurrentdb.Config{Namespace: "a/b/"})

	sub, err := s.Subscribe(ctx, 0)
	require.NoError(t, err)
	noise := func(i int) {
		_, err := raw.AppendToStream(ctx, "$stats", esdb.AppendToStreamOptions{}, esdb.EventData{EventType: "$statsCollected", ContentType: esdb.ContentTypeJson, Data: []byte(`{}`)})
		require.NoError(t, err)
		_, err = raw.AppendToStream(ctx, "a/foreign", esdb.AppendToStreamOptions{}, esdb.EventData{EventType: "refund.requested", ContentType: esdb.ContentTypeJson, Data: []byte(`{}`),
			Metadata: fmt.Appendf(nil, `{"ns":"a/","type":"refund.requested","revision":%d}`, i)}) // like ours, but not ours
		require.NoError(t, err)
		_, err = other.Append(ctx, "t", eventstore.Any(), ledgerEvents("t", uint64(i), 1))
		require.NoError(t, err)
	}
	var want []eventstore.EventData
	for i := range 10 {
		noise(i)
		evs := ledgerEvents("t", uint64(len(want)), 1+i%3)
		res, err := s.Append(ctx, "t", eventstore.Any(), evs)
		require.NoError(t, err)
		want = append(want, evs...)
		assert.Equal(t, uint64(len(want)), res.LastPosition, "append %d", i)
	}
	noise(10)

	all, err := s.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, all, len(want))
	stream, err := s.ReadStream(ctx, "t", 0, 0)
	require.NoError(t, err)
	assert.Equal(t, all, stream, "a single stream: its events are the whole log")
	live := receiveN(t, sub, len(want))
	assert.Equal(t, all, live)
	for i, e := range all {
		assert.Equal(t, uint64(i+1), e.Position)
		assert.Equal(t, want[i].ID, e.ID)
		assert.Equal(t, "t", e.Stream, "the namespace is not part of the ledger's name")
	}
	otherAll, err := other.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	assert.Len(t, otherAll, 11, "the other namespace counts its own events only")
}

// TestSecondProcess opens a second store on a log the first one wrote, as
// another process would: its index, built by paging through $all, must give
// the same positions, and it must see retries of the first one's appends.
func TestSecondProcess(t *testing.T) {
	ctx := context.Background()
	srv := startDouble(t)
	first := open(t, srv.URL(), kurrentdb.Config{})
	var batches [][]eventstore.EventData
	next := map[string]uint64{}
	for i := range 12 {
		stream := fmt.Sprintf("s-%d", i%3)
		evs := ledgerEvents(stream, next[stream], 1+i%4)
		_, err := first.Append(ctx, stream, eventstore.Any(), evs)
		require.NoError(t, err)
		next[stream] += uint64(len(evs))
		batches = append(batches, evs)
	}
	want, err := first.ReadAll(ctx, 0, 0)
	require.NoError(t, err)

	second := open(t, srv.URL(), kurrentdb.Config{ReadBatch: 3})
	got, err := second.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	t.Run("retry of the first one's append", func(t *testing.T) {
		evs := batches[4] // stream s-1, revisions 1..
		res, err := second.Append(ctx, "s-1", eventstore.Exact(99), evs)
		require.NoError(t, err)
		assert.True(t, res.Duplicate)
		last := evs[len(evs)-1]
		assert.Equal(t, last.Revision, res.NextExpected)
		stored, err := first.ReadStream(ctx, "s-1", last.Revision, 1)
		require.NoError(t, err)
		assert.Equal(t, stored[0].Position, res.LastPosition)
	})
	t.Run("an id the first one used elsewhere", func(t *testing.T) {
		evs := ledgerEvents("fresh", 0, 1)
		evs[0].ID = batches[0][0].ID
		_, err := second.Append(ctx, "fresh", eventstore.NoStream(), evs)
		assert.ErrorIs(t, err, eventstore.ErrDuplicateID)
	})
	t.Run("the first one follows the second one's appends", func(t *testing.T) {
		sub, err := first.Subscribe(ctx, uint64(len(want)))
		require.NoError(t, err)
		evs := ledgerEvents("s-0", next["s-0"], 2)
		res, err := second.Append(ctx, "s-0", eventstore.Exact(next["s-0"]-1), evs)
		require.NoError(t, err)
		got := receiveN(t, sub, 2)
		assert.Equal(t, res.LastPosition, got[1].Position)
		assert.Equal(t, evs[1].ID, got[1].ID)
	})
}

func TestCheckpoints(t *testing.T) {
	ctx := context.Background()
	s := open(t, startDouble(t).URL(), kurrentdb.Config{})
	_, err := s.Append(ctx, "c", eventstore.NoStream(), ledgerEvents("c", 0, 5))
	require.NoError(t, err)
	_, err = s.Append(ctx, "d", eventstore.NoStream(), ledgerEvents("d", 0, 1))
	require.NoError(t, err)
	all, err := s.ReadAll(ctx, 0, 0)
	require.NoError(t, err)

	zero, err := s.Checkpoint(0)
	require.NoError(t, err)
	assert.Equal(t, kurrentdb.Checkpoint{}, zero)
	var prev kurrentdb.Checkpoint
	for pos := uint64(1); pos <= 6; pos++ {
		cp, err := s.Checkpoint(pos)
		require.NoError(t, err)
		assert.Equal(t, pos, cp.Position)
		assert.True(t, cp.Commit > prev.Commit || (cp.Commit == prev.Commit && cp.Prepare > prev.Prepare),
			"$all positions grow with the global position: %+v after %+v", cp, prev)
		prev = cp
	}
	_, err = s.Checkpoint(7)
	assert.ErrorIs(t, err, kurrentdb.ErrUnknownPosition)

	for _, pos := range []uint64{0, 2, 5, 6} {
		t.Run(fmt.Sprintf("subscribe from checkpoint %d", pos), func(t *testing.T) {
			cp, err := s.Checkpoint(pos)
			require.NoError(t, err)
			sctx, cancel := context.WithCancel(ctx)
			defer cancel()
			sub, err := s.SubscribeFrom(sctx, cp)
			require.NoError(t, err)
			assert.Equal(t, all[pos:], receiveN(t, sub, len(all)-int(pos)))
		})
	}
}

func TestClose(t *testing.T) {
	ctx := context.Background()
	srv := startDouble(t)
	s, err := kurrentdb.Open(ctx, srv.URL(), kurrentdb.Config{})
	require.NoError(t, err)
	_, err = s.Append(ctx, "x", eventstore.NoStream(), ledgerEvents("x", 0, 1))
	require.NoError(t, err)
	sub, err := s.Subscribe(ctx, 0)
	require.NoError(t, err)
	receiveN(t, sub, 1)

	require.NoError(t, s.Close())
	for range sub.Events() {
	}
	assert.ErrorIs(t, sub.Err(), kurrentdb.ErrClosed, "a subscription ends with the store")
	_, err = s.Append(ctx, "x", eventstore.Exact(0), ledgerEvents("x", 1, 1))
	assert.ErrorIs(t, err, kurrentdb.ErrClosed)
	_, err = s.ReadStream(ctx, "x", 0, 0)
	assert.ErrorIs(t, err, kurrentdb.ErrClosed)
	_, err = s.ReadAll(ctx, 0, 0)
	assert.ErrorIs(t, err, kurrentdb.ErrClosed)
	_, err = s.Subscribe(ctx, 0)
	assert.ErrorIs(t, err, kurrentdb.ErrClosed)
	assert.NoError(t, s.Close(), "closing twice is fine")
}

func TestRefusesEmptyType(t *testing.T) {
	s := open(t, startDouble(t).URL(), kurrentdb.Config{})
	evs := ledgerEvents("e", 0, 1)
	evs[0].Type = ""
	_, err := s.Append(context.Background(), "e", eventstore.NoStream(), evs)
	assert.ErrorContains(t, err, "requires an event type")
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url      string
		ok       bool
		discover bool
	}{
		{"esdb://127.0.0.1:2113?tls=false", true, false},
		{"kurrentdb://127.0.0.1:2113?tls=false", true, false},
		{"KurrentDB://127.0.0.1:2113?tls=false", true, false},
		{"kurrent://127.0.0.1:2113", true, false},
		{"esdb+discover://cluster.example:2113", true, true},
		{"kurrentdb+discover://cluster.example:2113", true, true},
		{"postgres://127.0.0.1:5432/test", false, false},
		{"127.0.0.1:2113", false, false},
	} {
		t.Run(tc.url, func(t *testing.T) {
			conf, err := kurrentdb.ParseURL(tc.url)
			if !tc.ok {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.discover, conf.DnsDiscover)
		})
	}
}

// TestFollowerResubscribes drops the server's subscriptions: the store's
// index follower must resubscribe and carry on, while a consumer's
// subscription ends with an error (its consumer resumes from its checkpoint).
func TestFollowerResubscribes(t *testing.T) {
	ctx := context.Background()
	srv := startDouble(t)
	s := open(t, srv.URL(), kurrentdb.Config{RetryInterval: 10 * time.Millisecond, IndexWait: 5 * time.Second})
	writer := open(t, srv.URL(), kurrentdb.Config{})
	_, err := s.Append(ctx, "r", eventstore.NoStream(), ledgerEvents("r", 0, 2))
	require.NoError(t, err)
	sub, err := s.Subscribe(ctx, 0)
	require.NoError(t, err)
	receiveN(t, sub, 2)

	srv.DropSubscriptions()
	for range sub.Events() {
	}
	require.Error(t, sub.Err())
	assert.NotErrorIs(t, sub.Err(), context.Canceled)
	assert.NotErrorIs(t, sub.Err(), kurrentdb.ErrClosed)

	// Events written elsewhere after the drop reach the index again.
	_, err = writer.Append(ctx, "w", eventstore.NoStream(), ledgerEvents("w", 0, 3))
	require.NoError(t, err)
	res, err := s.Append(ctx, "r", eventstore.Exact(1), ledgerEvents("r", 2, 1))
	require.NoError(t, err)
	assert.Equal(t, uint64(6), res.LastPosition)
	all, err := s.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	assert.Len(t, all, 6)
}

// TestReadsBeyondTheIndex stops the store's index follower (the server
// drops it and it waits an hour to resubscribe) while another process
// writes: ReadAll and Subscribe still see those events, numbered by
// counting on from what the index knows.
func TestReadsBeyondTheIndex(t *testing.T) {
	ctx := context.Background()
	srv := startDouble(t)
	s := open(t, srv.URL(), kurrentdb.Config{RetryInterval: time.Hour})
	writer := open(t, srv.URL(), kurrentdb.Config{})
	first := ledgerEvents("x", 0, 2)
	_, err := s.Append(ctx, "x", eventstore.NoStream(), first)
	require.NoError(t, err)

	srv.DropSubscriptions()
	time.Sleep(50 * time.Millisecond) // let the follower see the drop
	more := ledgerEvents("y", 0, 3)
	_, err = writer.Append(ctx, "y", eventstore.NoStream(), more)
	require.NoError(t, err)
	_, err = s.Checkpoint(3)
	require.ErrorIs(t, err, kurrentdb.ErrUnknownPosition, "the index is stuck at 2")

	for _, after := range []uint64{0, 1, 2, 4, 5} {
		t.Run(fmt.Sprintf("ReadAll after %d", after), func(t *testing.T) {
			got, err := s.ReadAll(ctx, after, 0)
			require.NoError(t, err)
			require.Len(t, got, 5-int(after))
			for i, e := range got {
				assert.Equal(t, after+uint64(i)+1, e.Position)
				assert.Equal(t, append(append([]eventstore.EventData{}, first...), more...)[after+uint64(i)].ID, e.ID)
			}
		})
	}
	t.Run("Subscribe after 3", func(t *testing.T) {
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		sub, err := s.Subscribe(sctx, 3)
		require.NoError(t, err)
		got := receiveN(t, sub, 2)
		assert.Equal(t, []uint64{4, 5}, []uint64{got[0].Position, got[1].Position})
		assert.Equal(t, more[1].ID, got[0].ID)
	})
}
