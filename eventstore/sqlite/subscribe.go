package sqlite

import (
	"context"

	"github.com/disputes-ledger/disputes/eventstore"
)

// Subscribe implements eventstore.Store. The subscription catches up with
// ReadAll in batches of Config.SubscriptionBatch, then waits for the writer's
// commit notifications (or the poll interval, for other processes). Events
// are sent on an unbuffered channel: a slow consumer slows the subscription
// down and nothing is dropped or held beyond one batch.
func (s *Store) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	return s.feed.Subscribe(ctx, after)
}
