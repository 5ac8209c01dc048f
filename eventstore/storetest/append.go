package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testAppendExpectedRevision(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	for i, tc := range []struct {
		name     string
		existing int // events in the stream before the append
		expected eventstore.ExpectedRevision
		revs     []uint64 // revisions the new events carry
		wantErr  error
	}{
		{"no stream on missing stream", 0, eventstore.NoStream(), []uint64{0}, nil},
		{"no stream with a batch", 0, eventstore.NoStream(), []uint64{0, 1, 2}, nil},
		{"no stream on existing stream", 2, eventstore.NoStream(), []uint64{2}, eventstore.ErrConcurrency},
		{"no stream but revision 1", 0, eventstore.NoStream(), []uint64{1}, eventstore.ErrConcurrency},
		{"exact last revision", 3, eventstore.Exact(2), []uint64{3, 4}, nil},
		{"exact first revision", 1, eventstore.Exact(0), []uint64{1}, nil},
		{"exact behind", 3, eventstore.Exact(1), []uint64{2}, eventstore.ErrConcurrency},
		{"exact ahead", 3, eventstore.Exact(3), []uint64{4}, eventstore.ErrConcurrency},
		{"exact on missing stream", 0, eventstore.Exact(0), []uint64{1}, eventstore.ErrConcurrency},
		{"exact but stale event revision", 3, eventstore.Exact(2), []uint64{2}, eventstore.ErrConcurrency},
		{"any on missing stream", 0, eventstore.Any(), []uint64{0, 1}, nil},
		{"any on existing stream", 2, eventstore.Any(), []uint64{2}, nil},
		{"any with revision ahead", 2, eventstore.Any(), []uint64{5}, eventstore.ErrConcurrency},
		{"any with stale revision", 2, eventstore.Any(), []uint64{1}, eventstore.ErrConcurrency},
		{"gap inside the batch", 0, eventstore.NoStream(), []uint64{0, 2}, eventstore.ErrConcurrency},
		{"repeat inside the batch", 1, eventstore.Exact(0), []uint64{1, 1}, eventstore.ErrConcurrency},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stream := fmt.Sprintf("expected-%d", i)
			seed(t, s, stream, tc.existing)
			before := logLength(t, s)
			evs := make([]eventstore.EventData, len(tc.revs))
			for j, rev := range tc.revs {
				evs[j] = newEvents(stream, rev, 1)[0]
			}

			res, err := s.Append(ctx, stream, tc.expected, evs)

			stored, readErr := s.ReadStream(ctx, stream, 0, 0)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				var ce *eventstore.ConcurrencyError
				if errors.As(err, &ce) {
					assert.Equal(t, stream, ce.Stream, "ConcurrencyError.Stream")
				}
				assert.Len(t, stored, tc.existing, "a rejected append must write nothing")
				assert.Equal(t, before, logLength(t, s), "a rejected append must write nothing")
				if tc.existing == 0 {
					assert.ErrorIs(t, readErr, eventstore.ErrStreamNotFound)
				}
				return
			}
			require.NoError(t, err)
			require.NoError(t, readErr)
			require.Len(t, stored, tc.existing+len(evs))
			assertEvents(t, stream, evs, stored[tc.existing:])
			last := stored[len(stored)-1]
			assert.Equal(t, eventstore.AppendResult{NextExpected: last.Revision, LastPosition: last.Position}, res)
			assert.Equal(t, before+len(evs), logLength(t, s))
		})
	}
}

func testAppendInvalid(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		stream string
		events []eventstore.EventData
	}{
		{"nil events", "invalid-1", nil},
		{"empty events", "invalid-2", []eventstore.EventData{}},
		{"empty stream name", "", newEvents("", 0, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Append(ctx, tc.stream, eventstore.Any(), tc.events)
			assert.Error(t, err)
		})
	}
	assert.Zero(t, logLength(t, s), "invalid appends must write nothing")
}

func testAppendAtomicBatch(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	taken := seed(t, s, "atomic-other", 1)[0]
	seed(t, s, "atomic", 2)
	before := logLength(t, s)

	t.Run("conflicting batch writes nothing", func(t *testing.T) {
		_, err := s.Append(ctx, "atomic", eventstore.Exact(0), newEvents("atomic", 1, 3))
		require.ErrorIs(t, err, eventstore.ErrConcurrency)
	})
	t.Run("batch with an id used elsewhere writes nothing", func(t *testing.T) {
		evs := newEvents("atomic", 2, 3)
		evs[2].ID = taken.ID // the last event: the first two must not survive
		_, err := s.Append(ctx, "atomic", eventstore.Exact(1), evs)
		require.ErrorIs(t, err, eventstore.ErrDuplicateID)
	})
	t.Run("batch on a new stream with an id used elsewhere writes nothing", func(t *testing.T) {
		evs := newEvents("atomic-new", 0, 4)
		evs[3].ID = taken.ID
		_, err := s.Append(ctx, "atomic-new", eventstore.NoStream(), evs)
		require.ErrorIs(t, err, eventstore.ErrDuplicateID)
		_, err = s.ReadStream(ctx, "atomic-new", 0, 0)
		assert.ErrorIs(t, err, eventstore.ErrStreamNotFound)
	})

	stored, err := s.ReadStream(ctx, "atomic", 0, 0)
	require.NoError(t, err)
	assert.Len(t, stored, 2)
	assert.Equal(t, before, logLength(t, s))

	// The stream is still writable at the revision the failed batches wanted.
	evs := newEvents("atomic", 2, 3)
	res, err := s.Append(ctx, "atomic", eventstore.Exact(1), evs)
	require.NoError(t, err)
	assert.Equal(t, uint64(4), res.NextExpected)
	all := readAll(t, s, 0, 100)
	assertGapFree(t, all, 1)
	assert.Equal(t, uint64(len(all)), res.LastPosition)
}

func testAppendIdempotentRetry(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	const stream = "retry"
	first := newEvents(stream, 0, 2)
	res1, err := s.Append(ctx, stream, eventstore.NoStream(), first)
	require.NoError(t, err)
	require.False(t, res1.Duplicate)

	// A retry of the same batch succeeds whatever it expected, writes
	// nothing and answers as the first attempt did.
	for _, expected := range []eventstore.ExpectedRevision{eventstore.NoStream(), eventstore.Any(), eventstore.Exact(0), eventstore.Exact(7)} {
		res, err := s.Append(ctx, stream, expected, first)
		require.NoError(t, err, "retry expecting %s", expected)
		assert.Equal(t, eventstore.AppendResult{NextExpected: 1, LastPosition: res1.LastPosition, Duplicate: true}, res, "retry expecting %s", expected)
	}
	assert.Equal(t, 2, logLength(t, s))

	third := newEvents(stream, 2, 1)
	res3, err := s.Append(ctx, stream, eventstore.Exact(1), third)
	require.NoError(t, err)

	t.Run("retry of an earlier append after the stream moved on", func(t *testing.T) {
		res, err := s.Append(ctx, stream, eventstore.Exact(0), first[1:])
		require.NoError(t, err)
		assert.Equal(t, eventstore.AppendResult{NextExpected: 1, LastPosition: res1.LastPosition, Duplicate: true}, res)
		res, err = s.Append(ctx, stream, eventstore.Exact(1), third)
		require.NoError(t, err)
		assert.Equal(t, eventstore.AppendResult{NextExpected: 2, LastPosition: res3.LastPosition, Duplicate: true}, res)
	})

	for _, tc := range []struct {
		name     string
		stream   string
		expected eventstore.ExpectedRevision
		events   func() []eventstore.EventData
		wantErr  error
	}{
		{"same id in another stream", "retry-other", eventstore.NoStream(), func() []eventstore.EventData {
			evs := newEvents("retry-other", 0, 1)
			evs[0].ID = first[0].ID
			return evs
		}, eventstore.ErrDuplicateID},
		{"same id at another revision", stream, eventstore.Exact(2), func() []eventstore.EventData {
			evs := newEvents(stream, 3, 1)
			evs[0].ID = first[0].ID
			return evs
		}, eventstore.ErrDuplicateID},
		{"same id twice in one batch", stream, eventstore.Exact(2), func() []eventstore.EventData {
			evs := newEvents(stream, 3, 2)
			evs[1].ID = evs[0].ID
			return evs
		}, eventstore.ErrDuplicateID},
		{"retry that adds a new event", stream, eventstore.Exact(0), func() []eventstore.EventData {
			// first[1] is stored where it says, the next one is new: not a
			// retry, and the expected revision is stale.
			return append([]eventstore.EventData{first[1]}, newEvents(stream, 2, 1)...)
		}, eventstore.ErrConcurrency},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := logLength(t, s)
			_, err := s.Append(ctx, tc.stream, tc.expected, tc.events())
			require.ErrorIs(t, err, tc.wantErr)
			assert.Equal(t, before, logLength(t, s), "nothing written")
		})
	}
	_, err = s.ReadStream(ctx, "retry-other", 0, 0)
	assert.ErrorIs(t, err, eventstore.ErrStreamNotFound)
	stored, err := s.ReadStream(ctx, stream, 0, 0)
	require.NoError(t, err)
	assertEvents(t, stream, append(append([]eventstore.EventData{}, first...), third...), stored)
}
