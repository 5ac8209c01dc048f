package sqlite

import (
	"context"
	"fmt"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/subscription"
)

// Subscribe implements eventstore.Store. The subscription catches up with
// ReadAll in batches of Config.SubscriptionBatch, then waits for the writer's
// commit notifications (or the poll interval, for other processes). Events
// are sent on an unbuffered channel: a slow consumer slows the subscription
// down and nothing is dropped or held beyond one batch.
func (s *Store) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("subscribe after %d: %w", after, err)
	}
	sub := subscription.New()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, fmt.Errorf("subscribe after %d: %w", after, ErrClosed)
	}
	// Added under mu so Close's Wait never races with a new Add.
	s.subs.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.subs.Done()
		sub.Close(s.feed.Run(ctx, sub, after))
	}()
	return sub, nil
}
