package appendcheck

import (
	"fmt"
	"math"

	"github.com/disputes-ledger/disputes/eventstore"
)

// Head is a stream's last revision; Exists is false for a missing stream.
type Head struct {
	Last   uint64
	Exists bool
}

// Next is the revision the store assigns to the stream's next event.
func (h Head) Next() uint64 {
	if !h.Exists {
		return 0
	}
	return h.Last + 1
}

// CheckExpected returns a *eventstore.ConcurrencyError when a stream at head
// does not satisfy expected, else nil.
func CheckExpected(stream string, expected eventstore.ExpectedRevision, head Head) error {
	if expected.Allows(head.Last, head.Exists) {
		return nil
	}
	return &eventstore.ConcurrencyError{Stream: stream, Expected: expected, Actual: head.Last, Exists: head.Exists}
}

// CheckRevisions reports the first event that does not carry the revision
// the store assigns it (next, next+1, …), wrapping eventstore.ErrConcurrency.
func CheckRevisions(events []eventstore.EventData, next uint64) error {
	for i, e := range events {
		if want := next + uint64(i); e.Revision != want {
			return fmt.Errorf("event %s carries revision %d, the store assigns %d: %w", e.ID, e.Revision, want, eventstore.ErrConcurrency)
		}
	}
	return nil
}

// RevisionsFrom reports whether events carry revisions next, next+1, ….
func RevisionsFrom(events []eventstore.EventData, next uint64) bool {
	for i, e := range events {
		if e.Revision != next+uint64(i) {
			return false
		}
	}
	return true
}

// Consistent reports whether an append whose first event carries revision
// first can satisfy expected at all, whatever the stream holds: Exact(r)
// needs first = r+1, NoStream needs 0, Any accepts any.
func Consistent(expected eventstore.ExpectedRevision, first uint64) bool {
	if rev, ok := expected.Revision(); ok {
		return rev != math.MaxUint64 && first == rev+1
	}
	if expected.IsNoStream() {
		return first == 0
	}
	return true
}
