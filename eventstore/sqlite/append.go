package sqlite

import (
	"context"
	"fmt"

	"github.com/disputes-ledger/disputes/eventstore"
)

// Append implements eventstore.Store. It queues the append for the
// group-commit writer and waits until the batch holding it is committed.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if s.readOnly {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, ErrReadOnly)
	}
	return s.queue.Append(ctx, stream, expected, events)
}
