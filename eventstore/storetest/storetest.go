// Package storetest is the conformance suite for eventstore.Store. Every
// backend runs it from its own tests with one call:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) eventstore.Store { return openEmptyStore(t) })
//	}
//
// newStore is called once per subtest and must return a fresh, empty store;
// the backend closes it in a t.Cleanup. Subtests run one after the other, so
// a backend may reuse one server database by emptying it in newStore.
package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// NewStore returns a fresh, empty store for one subtest.
type NewStore func(t *testing.T) eventstore.Store

// waitTimeout bounds every wait for a subscription, so a broken backend fails
// instead of hanging the test run.
const waitTimeout = 20 * time.Second

// Run runs the whole conformance suite against the stores newStore returns.
func Run(t *testing.T, newStore NewStore) {
	t.Helper()
	for _, tc := range []struct {
		name string
		test func(t *testing.T, s eventstore.Store)
	}{
		{"AppendExpectedRevision", testAppendExpectedRevision},
		{"AppendInvalid", testAppendInvalid},
		{"AppendAtomicBatch", testAppendAtomicBatch},
		{"AppendIdempotentRetry", testAppendIdempotentRetry},
		{"ConcurrentExactAppends", testConcurrentExactAppends},
		{"ConcurrentOptimisticWriters", testConcurrentOptimisticWriters},
		{"ReadStream", testReadStream},
		{"ReadMissingStream", testReadMissingStream},
		{"LargeStream", testLargeStream},
		{"ReadAll", testReadAll},
		{"DataRoundTrip", testDataRoundTrip},
		{"SubscribeCatchUpThenLive", testSubscribeCatchUpThenLive},
		{"SubscribeFromCheckpoint", testSubscribeFromCheckpoint},
		{"SubscribeConcurrentWriters", testSubscribeConcurrentWriters},
		{"SubscribeBackPressure", testSubscribeBackPressure},
		{"CancelledContext", testCancelledContext},
		{"SubscriptionCancel", testSubscriptionCancel},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			require.NotNil(t, s, "newStore returned nil")
			tc.test(t, s)
		})
	}
}

// eventType is the Type of the suite's events unless a test needs others.
const eventType = "storetest.happened"

// newEvents returns n events numbered from revision from, with data that
// names their stream and revision.
func newEvents(stream string, from uint64, n int) []eventstore.EventData {
	evs := make([]eventstore.EventData, n)
	for i := range evs {
		rev := from + uint64(i)
		evs[i] = eventstore.EventData{
			ID:       uuid.New(),
			Type:     eventType,
			Revision: rev,
			Data:     fmt.Appendf(nil, `{"stream":%q,"revision":%d}`, stream, rev),
		}
	}
	return evs
}

// expectAfter is the ExpectedRevision for a stream that has n events.
func expectAfter(n uint64) eventstore.ExpectedRevision {
	if n == 0 {
		return eventstore.NoStream()
	}
	return eventstore.Exact(n - 1)
}

// seed appends n events to stream in one call and returns them.
func seed(t *testing.T, s eventstore.Store, stream string, n int) []eventstore.EventData {
	t.Helper()
	evs := newEvents(stream, 0, n)
	if n == 0 {
		return evs
	}
	_, err := s.Append(context.Background(), stream, eventstore.NoStream(), evs)
	require.NoError(t, err, "seed %s", stream)
	return evs
}

// readAll reads the whole global log in batches of batch events.
func readAll(t *testing.T, s eventstore.Store, after uint64, batch int) []eventstore.RecordedEvent {
	t.Helper()
	var all []eventstore.RecordedEvent
	for {
		got, err := s.ReadAll(context.Background(), after, batch)
		require.NoError(t, err, "ReadAll after %d", after)
		if len(got) == 0 {
			return all
		}
		require.LessOrEqual(t, len(got), batch, "ReadAll returned more than its limit")
		all = append(all, got...)
		after = got[len(got)-1].Position
	}
}

// logLength is the number of events in the global log.
func logLength(t *testing.T, s eventstore.Store) int {
	t.Helper()
	return len(readAll(t, s, 0, 1000))
}

// assertGapFree checks that evs hold positions first, first+1, ….
func assertGapFree(t *testing.T, evs []eventstore.RecordedEvent, first uint64) {
	t.Helper()
	for i, e := range evs {
		if !assert.Equal(t, first+uint64(i), e.Position, "position of event %d (%s)", i, e.ID) {
			return
		}
	}
}

// assertEvents checks that got are want as stored in stream, field by field.
func assertEvents(t *testing.T, stream string, want []eventstore.EventData, got []eventstore.RecordedEvent) {
	t.Helper()
	if !assert.Len(t, got, len(want)) {
		return
	}
	for i := range want {
		assert.Equal(t, want[i].ID, got[i].ID, "event %d id", i)
		assert.Equal(t, stream, got[i].Stream, "event %d stream", i)
		assert.Equal(t, want[i].Revision, got[i].Revision, "event %d revision", i)
		assert.Equal(t, want[i].Type, got[i].Type, "event %d type", i)
		assert.Equal(t, string(want[i].Data), string(got[i].Data), "event %d data", i)
		assert.NotZero(t, got[i].Position, "event %d position", i)
	}
}

// receive takes n events from sub, failing the test if they do not arrive.
func receive(t *testing.T, sub eventstore.Subscription, n int) []eventstore.RecordedEvent {
	t.Helper()
	got := make([]eventstore.RecordedEvent, 0, n)
	timeout := time.NewTimer(waitTimeout)
	defer timeout.Stop()
	for len(got) < n {
		select {
		case e, ok := <-sub.Events():
			require.True(t, ok, "subscription closed after %d of %d events: %v", len(got), n, sub.Err())
			got = append(got, e)
		case <-timeout.C:
			require.FailNow(t, "subscription stalled", "received %d of %d events", len(got), n)
		}
	}
	return got
}

// waitClosed drains sub until its channel closes and returns Err.
func waitClosed(t *testing.T, sub eventstore.Subscription) error {
	t.Helper()
	timeout := time.NewTimer(waitTimeout)
	defer timeout.Stop()
	for {
		select {
		case _, ok := <-sub.Events():
			if !ok {
				return sub.Err()
			}
		case <-timeout.C:
			require.FailNow(t, "subscription channel not closed")
		}
	}
}
