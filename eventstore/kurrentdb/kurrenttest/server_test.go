package kurrenttest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/disputes-ledger/disputes/eventstore/kurrentdb/kurrenttest"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// start runs a double and returns it with a connected official client.
func start(t *testing.T, opts kurrenttest.Options) (*kurrenttest.Server, *esdb.Client) {
	t.Helper()
	srv, err := kurrenttest.Start(opts)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	cfg, err := esdb.ParseConnectionString(srv.URL())
	require.NoError(t, err)
	cfg.Logger = esdb.NoopLogging()
	c, err := esdb.NewClient(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return srv, c
}

func events(n int, typ string) []esdb.EventData {
	evs := make([]esdb.EventData, n)
	for i := range evs {
		evs[i] = esdb.EventData{EventID: uuid.New(), EventType: typ, ContentType: esdb.ContentTypeJson, Data: fmt.Appendf(nil, `{"n":%d}`, i)}
	}
	return evs
}

func appendTo(c *esdb.Client, stream string, expected esdb.ExpectedRevision, evs []esdb.EventData) (*esdb.WriteResult, error) {
	return c.AppendToStream(context.Background(), stream, esdb.AppendToStreamOptions{ExpectedRevision: expected}, evs...)
}

// readStream reads the whole stream forwards.
func readStream(t *testing.T, c *esdb.Client, stream string) ([]*esdb.RecordedEvent, error) {
	t.Helper()
	return readStreamWith(t, c, stream, esdb.ReadStreamOptions{}, 1000)
}

// readStreamWith reads up to n events of the stream as opts say.
func readStreamWith(t *testing.T, c *esdb.Client, stream string, opts esdb.ReadStreamOptions, n uint64) ([]*esdb.RecordedEvent, error) {
	t.Helper()
	rs, err := c.ReadStream(context.Background(), stream, opts, n)
	require.NoError(t, err)
	defer rs.Close()
	var out []*esdb.RecordedEvent
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, e.Event)
	}
}

func readAll(t *testing.T, c *esdb.Client, from esdb.AllPosition, n uint64) []*esdb.RecordedEvent {
	t.Helper()
	rs, err := c.ReadAll(context.Background(), esdb.ReadAllOptions{From: from}, n)
	require.NoError(t, err)
	defer rs.Close()
	var out []*esdb.RecordedEvent
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out = append(out, e.Event)
	}
}

func isWrongExpectedVersion(err error) bool {
	var e *esdb.Error
	return errors.As(err, &e) && e.Code() == esdb.ErrorCodeWrongExpectedVersion
}

func TestWrongExpectedVersion(t *testing.T) {
	srv, c := start(t, kurrenttest.Options{})
	_, err := appendTo(c, "s", esdb.NoStream{}, events(3, "t")) // revisions 0..2
	require.NoError(t, err)

	for _, tc := range []struct {
		name     string
		stream   string
		expected esdb.ExpectedRevision
	}{
		{"no stream on an existing stream", "s", esdb.NoStream{}},
		{"revision behind", "s", esdb.Revision(1)},
		{"revision ahead", "s", esdb.Revision(3)},
		{"revision on a missing stream", "missing", esdb.Revision(0)},
		{"stream exists on a missing stream", "missing", esdb.StreamExists{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.Len()
			_, err := appendTo(c, tc.stream, tc.expected, events(1, "t"))
			assert.True(t, isWrongExpectedVersion(err), "error %v", err)
			assert.Equal(t, before, srv.Len(), "nothing written")
		})
	}
	for _, tc := range []struct {
		name     string
		expected esdb.ExpectedRevision
		next     uint64
	}{
		{"exact revision", esdb.Revision(2), 3},
		{"any", esdb.Any{}, 4},
		{"stream exists", esdb.StreamExists{}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := appendTo(c, "s", tc.expected, events(1, "t"))
			require.NoError(t, err)
			assert.Equal(t, tc.next, res.NextExpectedVersion)
		})
	}
}

func TestIdempotentAppend(t *testing.T) {
	srv, c := start(t, kurrenttest.Options{})
	first := events(2, "t")
	res1, err := appendTo(c, "s", esdb.NoStream{}, first)
	require.NoError(t, err)
	second := events(1, "t")
	res2, err := appendTo(c, "s", esdb.Revision(1), second)
	require.NoError(t, err)
	require.Equal(t, 3, srv.Len())

	for _, tc := range []struct {
		name     string
		expected esdb.ExpectedRevision
		events   []esdb.EventData
		want     *esdb.WriteResult // nil: wrong expected version
	}{
		{"same ids at the same revision", esdb.NoStream{}, first, res1},
		{"same ids with any", esdb.Any{}, first, res1},
		{"same ids, last batch", esdb.Revision(1), second, res2},
		{"same ids at another revision", esdb.Revision(0), first, nil},
		{"first id matches, second does not", esdb.NoStream{}, append(first[:1:1], events(1, "t")...), nil},
		{"ids run past the end of the stream", esdb.Revision(1), append(second[:1:1], events(1, "t")...), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := appendTo(c, "s", tc.expected, tc.events)
			if tc.want == nil {
				assert.True(t, isWrongExpectedVersion(err), "error %v", err)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tc.want, res, "answered as the first attempt was")
			}
			assert.Equal(t, 3, srv.Len(), "nothing written")
		})
	}
	got, err := readStream(t, c, "s")
	require.NoError(t, err)
	require.Len(t, got, 3)
	for i, want := range append(first, second...) {
		assert.Equal(t, want.EventID, got[i].EventID)
		assert.Equal(t, uint64(i), got[i].EventNumber)
	}
}

func TestPositions(t *testing.T) {
	_, c := start(t, kurrenttest.Options{})
	single, err := appendTo(c, "a", esdb.NoStream{}, events(1, "t"))
	require.NoError(t, err)
	batch, err := appendTo(c, "b", esdb.NoStream{}, events(3, "t"))
	require.NoError(t, err)

	all := readAll(t, c, esdb.Start{}, 100)
	require.Len(t, all, 4)
	assert.Equal(t, all[0].Position.Commit, all[0].Position.Prepare, "a single-event append commits where it is prepared")
	assert.Equal(t, esdb.Position{Commit: single.CommitPosition, Prepare: single.PreparePosition}, all[0].Position)
	for i := 1; i < 4; i++ {
		assert.Equal(t, all[1].Position.Commit, all[i].Position.Commit, "a batch shares one commit position")
		assert.Greater(t, all[i].Position.Commit, all[i].Position.Prepare, "the commit record follows the prepares")
		assert.Greater(t, all[i].Position.Prepare, all[i-1].Position.Prepare)
	}
	assert.Equal(t, esdb.Position{Commit: batch.CommitPosition, Prepare: batch.PreparePosition}, all[3].Position)
	assert.Greater(t, all[1].Position.Prepare-all[0].Position.Prepare, uint64(1), "positions are byte offsets, not ordinals")

	t.Run("reading from a position includes it", func(t *testing.T) {
		got := readAll(t, c, all[2].Position, 100)
		require.Len(t, got, 2)
		assert.Equal(t, all[2].EventID, got[0].EventID)
	})
	t.Run("reading backwards from the end", func(t *testing.T) {
		rs, err := c.ReadAll(context.Background(), esdb.ReadAllOptions{From: esdb.End{}, Direction: esdb.Backwards}, 1)
		require.NoError(t, err)
		defer rs.Close()
		e, err := rs.Recv()
		require.NoError(t, err)
		assert.Equal(t, all[3].EventID, e.Event.EventID)
	})
}

func TestReadStream(t *testing.T) {
	_, c := start(t, kurrenttest.Options{})
	evs := events(5, "t")
	_, err := appendTo(c, "s", esdb.NoStream{}, evs)
	require.NoError(t, err)

	read := func(opts esdb.ReadStreamOptions, n uint64) ([]uint64, error) {
		evs, err := readStreamWith(t, c, "s", opts, n)
		var revs []uint64
		for _, e := range evs {
			revs = append(revs, e.EventNumber)
		}
		return revs, err
	}
	for _, tc := range []struct {
		name string
		opts esdb.ReadStreamOptions
		n    uint64
		want []uint64
	}{
		{"forwards from a revision", esdb.ReadStreamOptions{From: esdb.Revision(2)}, 2, []uint64{2, 3}},
		{"forwards past the end", esdb.ReadStreamOptions{From: esdb.Revision(9)}, 2, nil},
		{"backwards from the end", esdb.ReadStreamOptions{From: esdb.End{}, Direction: esdb.Backwards}, 2, []uint64{4, 3}},
		{"backwards from past the end", esdb.ReadStreamOptions{From: esdb.Revision(50), Direction: esdb.Backwards}, 10, []uint64{4, 3, 2, 1, 0}},
		{"backwards from a revision", esdb.ReadStreamOptions{From: esdb.Revision(1), Direction: esdb.Backwards}, 10, []uint64{1, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := read(tc.opts, tc.n)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	t.Run("missing stream", func(t *testing.T) {
		_, err := readStream(t, c, "nope")
		var e *esdb.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, esdb.ErrorCodeResourceNotFound, e.Code())
	})
}

func TestFilteredSubscription(t *testing.T) {
	for _, tc := range []struct {
		name   string
		filter esdb.SubscriptionFilter
	}{
		{"type prefix", esdb.SubscriptionFilter{Type: esdb.EventFilterType, Prefixes: []string{"ledger."}}},
		{"type regex", esdb.SubscriptionFilter{Type: esdb.EventFilterType, Regex: `^[^$]`}},
		{"stream prefix", esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: []string{"a", "b"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, c := start(t, kurrenttest.Options{})
			_, err := appendTo(c, "a", esdb.NoStream{}, events(2, "ledger.x"))
			require.NoError(t, err)
			_, err = appendTo(c, "$sys", esdb.NoStream{}, events(40, "$system"))
			require.NoError(t, err)
			_, err = appendTo(c, "b", esdb.NoStream{}, events(1, "ledger.y"))
			require.NoError(t, err)

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			sub, err := c.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{From: esdb.Start{}, Filter: &tc.filter, MaxSearchWindow: 8})
			require.NoError(t, err)
			defer sub.Close()

			var (
				types       []string
				checkpoints int
				caughtUp    bool
			)
			next := func() {
				ev := sub.Recv()
				switch {
				case ev.SubscriptionDropped != nil:
					require.FailNow(t, "dropped", "%v", ev.SubscriptionDropped.Error)
				case ev.EventAppeared != nil:
					types = append(types, ev.EventAppeared.Event.EventType)
				case ev.CheckPointReached != nil:
					checkpoints++
				case ev.CaughtUp != nil:
					caughtUp = true
				}
			}
			for !caughtUp {
				next()
			}
			assert.Equal(t, []string{"ledger.x", "ledger.x", "ledger.y"}, types, "catch-up")
			assert.Positive(t, checkpoints, "checkpoints while searching past other events")

			_, err = appendTo(c, "$sys", esdb.Any{}, events(1, "$system"))
			require.NoError(t, err)
			live := events(1, "ledger.z")
			_, err = appendTo(c, "b", esdb.Any{}, live)
			require.NoError(t, err)
			for len(types) < 4 {
				next()
			}
			assert.Equal(t, "ledger.z", types[3], "live")
		})
	}
}

func TestSubscriptionFromPositionIsExclusive(t *testing.T) {
	_, c := start(t, kurrenttest.Options{})
	_, err := appendTo(c, "s", esdb.NoStream{}, events(3, "t"))
	require.NoError(t, err)
	all := readAll(t, c, esdb.Start{}, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sub, err := c.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{From: all[0].Position})
	require.NoError(t, err)
	defer sub.Close()
	for _, want := range all[1:] {
		ev := sub.Recv()
		require.NotNil(t, ev.EventAppeared, "%+v", ev)
		assert.Equal(t, want.EventID, ev.EventAppeared.Event.EventID)
	}
}

func TestMaxAppendSize(t *testing.T) {
	srv, c := start(t, kurrenttest.Options{MaxAppendSize: 1000})
	evs := events(1, "t")
	evs[0].Data = make([]byte, 2000)
	_, err := appendTo(c, "s", esdb.NoStream{}, evs)
	require.Error(t, err)
	assert.Zero(t, srv.Len())
	_, err = appendTo(c, "s", esdb.NoStream{}, events(1, "t"))
	require.NoError(t, err, "a small append still goes through")
}

func TestDropSubscriptions(t *testing.T) {
	srv, c := start(t, kurrenttest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sub, err := c.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{From: esdb.Start{}})
	require.NoError(t, err)
	defer sub.Close()
	require.NotNil(t, sub.Recv().CaughtUp, "an empty log is caught up at once")

	srv.DropSubscriptions()
	ev := sub.Recv()
	require.NotNil(t, ev.SubscriptionDropped)
	assert.Error(t, ev.SubscriptionDropped.Error)

	_, err = appendTo(c, "s", esdb.NoStream{}, events(1, "t"))
	require.NoError(t, err, "appends go on")
	again, err := c.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{From: esdb.Start{}})
	require.NoError(t, err, "so do new subscriptions")
	defer again.Close()
	assert.NotNil(t, again.Recv().EventAppeared)
}
