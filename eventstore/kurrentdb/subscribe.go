package kurrentdb

import (
	"context"
	"fmt"
	"sync"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/disputes-ledger/disputes/eventstore"
)

// subscription implements eventstore.Subscription.
type subscription struct {
	events chan eventstore.RecordedEvent
	mu     sync.Mutex
	err    error
}

// Events implements eventstore.Subscription.
func (sub *subscription) Events() <-chan eventstore.RecordedEvent { return sub.events }

// Err implements eventstore.Subscription.
func (sub *subscription) Err() error {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.err
}

// Subscribe implements eventstore.Store with a filtered catch-up
// subscription to $all, starting at the $all position the index gives for
// after (or at the index's end, if after lies beyond it) and numbering the
// store's events from there. Events are sent on an unbuffered channel; a
// slow consumer holds the server back through gRPC flow control.
func (s *Store) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("subscribe after %d: %w", after, err)
	}
	cp := s.checkpointAtOrBefore(after)
	return s.subscribe(ctx, cp, after)
}

// SubscribeFrom is Subscribe from a checkpoint taken with Checkpoint. It
// resumes from the checkpoint's $all position directly, so a consumer does
// not depend on the index having reached its checkpoint.
func (s *Store) SubscribeFrom(ctx context.Context, cp Checkpoint) (eventstore.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("subscribe after %d: %w", cp.Position, err)
	}
	return s.subscribe(ctx, cp, cp.Position)
}

// subscribe numbers the store's events after cp from cp.Position+1 on and
// delivers those after skip.
func (s *Store) subscribe(ctx context.Context, cp Checkpoint, skip uint64) (eventstore.Subscription, error) {
	if err := s.begin(); err != nil {
		return nil, fmt.Errorf("subscribe after %d: %w", skip, err)
	}
	sctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel) // Close ends every subscription
	es, err := s.client.SubscribeToAll(sctx, esdb.SubscribeToAllOptions{From: cp.allPosition(), Filter: &s.filter})
	if err != nil {
		err = s.opErr(ctx, err)
		stop()
		cancel()
		s.wg.Done()
		return nil, fmt.Errorf("subscribe after %d: %w", skip, err)
	}
	sub := &subscription{events: make(chan eventstore.RecordedEvent)}
	go func() {
		defer s.wg.Done()
		defer cancel()
		defer stop()
		defer es.Close()
		err := s.feed(sctx, es, sub, cp, skip)
		if ctx.Err() != nil {
			err = ctx.Err()
		} else if s.isClosed() {
			err = ErrClosed
		}
		sub.mu.Lock()
		sub.err = err
		sub.mu.Unlock()
		close(sub.events)
	}()
	return sub, nil
}

// feed delivers the subscription's events until it ends and returns why.
func (s *Store) feed(ctx context.Context, es *esdb.Subscription, sub *subscription, cp Checkpoint, skip uint64) error {
	pos := cp.Position
	for {
		ev := es.Recv()
		if ev.SubscriptionDropped != nil {
			return fmt.Errorf("subscription after %d dropped: %w", pos, ev.SubscriptionDropped.Error)
		}
		if ev.EventAppeared == nil {
			continue // checkpoints and "caught up"
		}
		e := ev.EventAppeared.OriginalEvent()
		if cp.Position > 0 && !after(e.Position, cp.pos()) {
			continue // a server that starts at the position itself
		}
		le, ok := s.decode(e)
		if !ok {
			continue
		}
		pos++
		if known, ok := s.idx.at(pos); ok && known.id != le.ID {
			return fmt.Errorf("subscription counted event %s as position %d, the index has %s there", le.ID, pos, known.id)
		}
		if pos <= skip {
			continue
		}
		le.Position = pos
		select {
		case sub.events <- le:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
