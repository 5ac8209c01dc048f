package postgres

import (
	"context"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/jackc/pgx/v5"
)

// Subscribe implements eventstore.Store. The subscription catches up with
// ReadAll in batches of Config.SubscriptionBatch, then waits for a commit:
// this Store's own writer wakes it directly, other processes' commits reach
// it through LISTEN/NOTIFY, and Config.PollInterval bounds the wait should
// the listening connection be down. Events are sent on an unbuffered
// channel: a slow consumer slows the subscription down and nothing is
// dropped or held beyond one batch.
func (s *Store) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	sub, err := s.feed.Subscribe(ctx, after)
	if err == nil {
		s.listenerOnce.Do(func() { go s.runListener() })
	}
	return sub, err
}

// runListener keeps one connection, outside the pool, listening on the
// store's channel and turns every notification into a broadcast. It runs
// from the first Subscribe until Close, reconnecting after failures.
func (s *Store) runListener() {
	defer close(s.listenDone)
	backoff := 50 * time.Millisecond
	for s.listenCtx.Err() == nil {
		listening, err := s.listen(s.listenCtx)
		if s.listenCtx.Err() != nil {
			return
		}
		_ = err // the poll covers the outage; the next attempt reports nothing new
		if listening {
			backoff = 50 * time.Millisecond
		}
		select {
		case <-time.After(backoff):
		case <-s.listenCtx.Done():
			return
		}
		backoff = min(2*backoff, s.cfg.PollInterval)
	}
}

// listen connects, LISTENs and broadcasts notifications until ctx ends or
// the connection fails. listening reports whether LISTEN took effect.
func (s *Store) listen(ctx context.Context) (listening bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return false, err
	}
	// Commits made while no connection listened sent notifications nobody
	// heard: wake every subscription to read once.
	s.commits.Broadcast()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true, err
		}
		s.commits.Broadcast()
	}
}
