package backendtest

import (
	"fmt"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/google/uuid"
)

// Event returns an event with a fresh ID carrying revision rev.
func Event(rev uint64) eventstore.EventData {
	return eventstore.EventData{ID: uuid.New(), Type: "t", Revision: rev, Data: fmt.Appendf(nil, "rev %d", rev)}
}

// ExpectAfter is the ExpectedRevision for a stream that has n events.
func ExpectAfter(n uint64) eventstore.ExpectedRevision {
	if n == 0 {
		return eventstore.NoStream()
	}
	return eventstore.Exact(n - 1)
}

// IDs returns the events' IDs in order.
func IDs(evs []eventstore.RecordedEvent) []uuid.UUID {
	out := make([]uuid.UUID, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

// Events returns n events with fresh IDs carrying revisions from, from+1, ….
func Events(from uint64, n int) []eventstore.EventData {
	evs := make([]eventstore.EventData, n)
	for i := range evs {
		evs[i] = Event(from + uint64(i))
	}
	return evs
}
