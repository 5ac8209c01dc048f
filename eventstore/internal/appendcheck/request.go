package appendcheck

import (
	"errors"
	"fmt"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/google/uuid"
)

// Rules checks an append request against the port's rules — a stream name,
// at least one event, non-nil IDs not repeated within the request, data
// whose envelope header (if any) agrees with the event and the stream — and
// the backend's own limits. The zero value checks the port's rules only.
type Rules struct {
	// Stream, when set, checks a non-empty stream name (say, for text the
	// database cannot store).
	Stream func(stream string) error
	// Event, when set, checks an event after its ID passed; its error is
	// reported as the event's.
	Event func(e eventstore.EventData) error
}

// Check rejects a request that no stream state could accept. An ID repeated
// within events wraps eventstore.ErrDuplicateID.
func (r Rules) Check(stream string, events []eventstore.EventData) error {
	if stream == "" {
		return errors.New("empty stream name")
	}
	if r.Stream != nil {
		if err := r.Stream(stream); err != nil {
			return err
		}
	}
	if len(events) == 0 {
		return errors.New("no events")
	}
	seen := make(map[uuid.UUID]struct{}, len(events))
	for i, e := range events {
		if e.ID == uuid.Nil {
			return fmt.Errorf("event %d: nil id", i)
		}
		if _, dup := seen[e.ID]; dup {
			return fmt.Errorf("event %d: id %s repeated in the batch: %w", i, e.ID, eventstore.ErrDuplicateID)
		}
		seen[e.ID] = struct{}{}
		if err := eventstore.CheckEventData(stream, e); err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
		if r.Event != nil {
			if err := r.Event(e); err != nil {
				return fmt.Errorf("event %d: %w", i, err)
			}
		}
	}
	return nil
}
