package kurrentdb

import (
	"context"
	"fmt"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/subscription"
)

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
	sub := subscription.New()
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
		sub.Close(err)
	}()
	return sub, nil
}

// feed delivers the subscription's events until it ends and returns why.
func (s *Store) feed(ctx context.Context, es *esdb.Subscription, sub *subscription.Sub, cp Checkpoint, skip uint64) error {
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
		if err := eventstore.CheckColumns(&le); err != nil {
			return err
		}
		if err := sub.Send(ctx, le); err != nil {
			return err
		}
	}
}
