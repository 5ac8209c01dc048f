package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func openTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "events.db"), Config{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func event(rev uint64) eventstore.EventData {
	return eventstore.EventData{ID: uuid.New(), Type: "t", Revision: rev, Data: fmt.Appendf(nil, "rev %d", rev)}
}

// TestBatchRequestsAreIndependent hands the writer one batch mixing good and
// failing appends: each gets its own answer, checks see the batch's earlier
// writes, and failures leave no trace.
func TestBatchRequestsAreIndependent(t *testing.T) {
	s := openTestStore(t)
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
		{"insert fails half-way", &appendReq{ctx: ctx, stream: "c", expected: eventstore.NoStream(), events: []eventstore.EventData{c0, c1}},
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
	var ids []uuid.UUID
	for _, e := range all {
		ids = append(ids, e.ID)
	}
	assert.Equal(t, []uuid.UUID{a0.ID, a1.ID, a2.ID, d0.ID}, ids, "only the accepted requests, in order, gap-free")
	_, err = s.ReadStream(ctx, "c", 0, 0)
	assert.ErrorIs(t, err, eventstore.ErrStreamNotFound, "the half-written request was rolled back")
}

// TestGroupCommit checks that concurrent appends share transactions.
func TestGroupCommit(t *testing.T) {
	s := openTestStore(t)
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
