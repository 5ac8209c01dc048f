package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/disputes-ledger/disputes/eventstore"
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

func event(rev uint64) eventstore.EventData {
	return eventstore.EventData{ID: uuid.New(), Type: "t", Revision: rev, Data: fmt.Appendf(nil, "rev %d", rev)}
}

func ids(evs []eventstore.RecordedEvent) []uuid.UUID {
	out := make([]uuid.UUID, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

// TestBatchRequestsAreIndependent hands the writer one batch mixing good and
// failing appends: each gets its own answer, checks see the batch's earlier
// writes, and failures leave no trace.
func TestBatchRequestsAreIndependent(t *testing.T) {
	s, _ := openTestStore(t, Config{})
	a0, a1, a2, c0, c1, d0 := event(0), event(1), event(2), event(0), event(1), event(0)
	c1.ID = a0.ID // c's second event reuses an ID written earlier in the batch
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	ctx := context.Background()

	type want struct {
		res eventstore.AppendResult
		err error
	}
	cases := []struct {
		name string
		req  *appendReq
		want want
	}{
		{"first write", &appendReq{ctx: ctx, stream: "a", expected: eventstore.NoStream(), events: []eventstore.EventData{a0}},
			want{res: eventstore.AppendResult{NextExpected: 0, LastPosition: 1}}},
		{"sees the write before it", &appendReq{ctx: ctx, stream: "a", expected: eventstore.NoStream(), events: []eventstore.EventData{event(0)}},
			want{err: eventstore.ErrConcurrency}},
		{"builds on the write before it", &appendReq{ctx: ctx, stream: "a", expected: eventstore.Exact(0), events: []eventstore.EventData{a1, a2}},
			want{res: eventstore.AppendResult{NextExpected: 2, LastPosition: 3}}},
		{"id written earlier in the batch", &appendReq{ctx: ctx, stream: "b", expected: eventstore.NoStream(), events: []eventstore.EventData{a0}},
			want{err: eventstore.ErrDuplicateID}},
		{"retry of an earlier request", &appendReq{ctx: ctx, stream: "a", expected: eventstore.Exact(0), events: []eventstore.EventData{a1, a2}},
			want{res: eventstore.AppendResult{NextExpected: 2, LastPosition: 3, Duplicate: true}}},
		{"second event's id taken", &appendReq{ctx: ctx, stream: "c", expected: eventstore.NoStream(), events: []eventstore.EventData{c0, c1}},
			want{err: eventstore.ErrDuplicateID}},
		{"caller gone", &appendReq{ctx: cancelled, stream: "e", expected: eventstore.NoStream(), events: []eventstore.EventData{event(0)}},
			want{err: context.Canceled}},
		{"after the failures", &appendReq{ctx: ctx, stream: "d", expected: eventstore.NoStream(), events: []eventstore.EventData{d0}},
			want{res: eventstore.AppendResult{NextExpected: 0, LastPosition: 4}}},
	}
	batch := make([]*appendReq, len(cases))
	for i, tc := range cases {
		tc.req.resp = make(chan appendResp, 1)
		batch[i] = tc.req
	}
	commitsBefore := s.stats.commits.Load()
	s.commitBatch(batch)
	assert.Equal(t, commitsBefore+1, s.stats.commits.Load(), "one transaction for the whole batch")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := <-tc.req.resp
			if tc.want.err != nil {
				assert.ErrorIs(t, got.err, tc.want.err)
				return
			}
			require.NoError(t, got.err)
			assert.Equal(t, tc.want.res, got.res)
		})
	}

	all, err := s.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, []uuid.UUID{a0.ID, a1.ID, a2.ID, d0.ID}, ids(all), "only the accepted requests, in order, gap-free")
	_, err = s.ReadStream(ctx, "c", 0, 0)
	assert.ErrorIs(t, err, eventstore.ErrStreamNotFound, "the refused request wrote nothing")
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

	first := &appendReq{ctx: ctx, stream: "x", expected: eventstore.NoStream(), events: []eventstore.EventData{event(0)}, resp: make(chan appendResp, 1)}
	refused := &appendReq{ctx: ctx, stream: "x", expected: eventstore.NoStream(), events: []eventstore.EventData{event(0)}, resp: make(chan appendResp, 1)}
	s.commitBatch([]*appendReq{first, refused})
	for _, r := range []*appendReq{first, refused} {
		got := <-r.resp
		require.Error(t, got.err)
		assert.NotErrorIs(t, got.err, eventstore.ErrConcurrency, "the batch's error, not a refusal")
	}
	var n, head int64
	require.NoError(t, s.pool.QueryRow(ctx, s.t.expand(`SELECT (SELECT count(*) FROM {events}), (SELECT position FROM {head})`)).Scan(&n, &head))
	assert.Equal(t, int64(1), n, "only the rogue row")
	assert.Equal(t, int64(0), head, "the head did not move")
}

// TestGroupCommit checks that concurrent appends share transactions.
func TestGroupCommit(t *testing.T) {
	s, _ := openTestStore(t, Config{})
	const writers, perWriter = 32, 20
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			stream := fmt.Sprintf("g-%d", w)
			for rev := range uint64(perWriter) {
				exp := eventstore.Exact(rev - 1)
				if rev == 0 {
					exp = eventstore.NoStream()
				}
				if _, err := s.Append(context.Background(), stream, exp, []eventstore.EventData{event(rev)}); err != nil {
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
	appends, commits := s.stats.appends.Load(), s.stats.commits.Load()
	assert.Equal(t, uint64(writers*perWriter), appends)
	assert.Less(t, commits, appends/2, "expected concurrent appends to share commits")
	t.Logf("%d appends in %d commits", appends, commits)
}

func TestMigrationsNumbered(t *testing.T) {
	for i, m := range migrations {
		assert.Equal(t, i+1, m.version, "migration %q", m.name)
		assert.NotEmpty(t, m.statements, "migration %d", m.version)
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
