package backendtest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/groupcommit"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// BatchRequestsAreIndependent hands commit, the backend's groupcommit.Commit
// on the empty store s, one batch mixing good and failing appends: each
// gets its own answer, checks see the batch's earlier writes, and failures
// leave no trace. stats are the backend's writer statistics.
func BatchRequestsAreIndependent(t *testing.T, s eventstore.Store, commit groupcommit.Commit, stats *groupcommit.Stats) {
	t.Helper()
	a0, a1, a2, c0, c1, d0 := Event(0), Event(1), Event(2), Event(0), Event(1), Event(0)
	c1.ID = a0.ID // c's second event reuses an ID written earlier in the batch
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	ctx := context.Background()
	req := func(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) *groupcommit.Request {
		return &groupcommit.Request{Ctx: ctx, Stream: stream, Expected: expected, Events: events}
	}

	cases := []struct {
		name string
		req  *groupcommit.Request
		want groupcommit.Response
	}{
		{"first write", req(ctx, "a", eventstore.NoStream(), a0),
			groupcommit.Response{Res: eventstore.AppendResult{NextExpected: 0, LastPosition: 1}}},
		{"sees the write before it", req(ctx, "a", eventstore.NoStream(), Event(0)),
			groupcommit.Response{Err: eventstore.ErrConcurrency}},
		{"builds on the write before it", req(ctx, "a", eventstore.Exact(0), a1, a2),
			groupcommit.Response{Res: eventstore.AppendResult{NextExpected: 2, LastPosition: 3}}},
		{"id written earlier in the batch", req(ctx, "b", eventstore.NoStream(), a0),
			groupcommit.Response{Err: eventstore.ErrDuplicateID}},
		{"retry of an earlier request", req(ctx, "a", eventstore.Exact(0), a1, a2),
			groupcommit.Response{Res: eventstore.AppendResult{NextExpected: 2, LastPosition: 3, Duplicate: true}}},
		{"second event's id taken", req(ctx, "c", eventstore.NoStream(), c0, c1),
			groupcommit.Response{Err: eventstore.ErrDuplicateID}},
		{"caller gone", req(cancelled, "e", eventstore.NoStream(), Event(0)),
			groupcommit.Response{Err: context.Canceled}},
		{"after the failures", req(ctx, "d", eventstore.NoStream(), d0),
			groupcommit.Response{Res: eventstore.AppendResult{NextExpected: 0, LastPosition: 4}}},
	}
	batch := make([]*groupcommit.Request, len(cases))
	for i, tc := range cases {
		batch[i] = tc.req
	}
	commitsBefore := stats.Commits.Load()
	resps := commit(batch)
	assert.Equal(t, commitsBefore+1, stats.Commits.Load(), "one transaction for the whole batch")
	require.Len(t, resps, len(batch), "one answer per request")
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := resps[i]
			if tc.want.Err != nil {
				assert.ErrorIs(t, got.Err, tc.want.Err)
				return
			}
			require.NoError(t, got.Err)
			assert.Equal(t, tc.want.Res, got.Res)
		})
	}

	all, err := s.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, []uuid.UUID{a0.ID, a1.ID, a2.ID, d0.ID}, IDs(all), "only the accepted requests, in order, gap-free")
	_, err = s.ReadStream(ctx, "c", 0, 0)
	assert.ErrorIs(t, err, eventstore.ErrStreamNotFound, "the refused request wrote nothing, not even its first event")
}

// GroupCommit checks that concurrent appends to s share transactions;
// stats are the backend's writer statistics.
func GroupCommit(t *testing.T, s eventstore.Store, stats *groupcommit.Stats) {
	t.Helper()
	const writers, perWriter = 32, 20
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			stream := fmt.Sprintf("g-%d", w)
			for rev := range uint64(perWriter) {
				if _, err := s.Append(context.Background(), stream, ExpectAfter(rev), []eventstore.EventData{Event(rev)}); err != nil {
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
	appends, commits := stats.Appends.Load(), stats.Commits.Load()
	assert.Equal(t, uint64(writers*perWriter), appends)
	assert.Less(t, commits, appends/2, "expected concurrent appends to share commits")
	t.Logf("%d appends in %d commits", appends, commits)
}
