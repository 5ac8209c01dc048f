package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/jackc/pgx/v5"
)

// notifier wakes every waiter once per broadcast. A waiter takes the channel
// before it reads the log, so a commit landing between its read and its wait
// still wakes it.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

func newNotifier() *notifier { return &notifier{ch: make(chan struct{})} }

// wait returns a channel closed at the next broadcast.
func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ch
}

func (n *notifier) broadcast() {
	n.mu.Lock()
	defer n.mu.Unlock()
	close(n.ch)
	n.ch = make(chan struct{})
}

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

// Subscribe implements eventstore.Store. The subscription catches up with
// ReadAll in batches of Config.SubscriptionBatch, then waits for a commit:
// this Store's own writer wakes it directly, other processes' commits reach
// it through LISTEN/NOTIFY, and Config.PollInterval bounds the wait should
// the listening connection be down. Events are sent on an unbuffered
// channel: a slow consumer slows the subscription down and nothing is
// dropped or held beyond one batch.
func (s *Store) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("subscribe after %d: %w", after, err)
	}
	sub := &subscription{events: make(chan eventstore.RecordedEvent)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, fmt.Errorf("subscribe after %d: %w", after, ErrClosed)
	}
	// Added under mu so Close's Wait never races with a new Add.
	s.subs.Add(1)
	s.mu.Unlock()
	s.listenerOnce.Do(func() { go s.runListener() })
	go func() {
		defer s.subs.Done()
		err := s.runSubscription(ctx, sub, after)
		sub.mu.Lock()
		sub.err = err
		sub.mu.Unlock()
		close(sub.events)
	}()
	return sub, nil
}

// runSubscription feeds sub until ctx ends, the store closes or a read fails,
// and returns the reason.
func (s *Store) runSubscription(ctx context.Context, sub *subscription, after uint64) error {
	poll := time.NewTicker(s.cfg.PollInterval)
	defer poll.Stop()
	pos := after
	for {
		wake := s.commits.wait()
		batch, err := s.readAll(ctx, pos, s.cfg.SubscriptionBatch)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if s.isClosed() {
				return ErrClosed
			}
			return fmt.Errorf("subscription after %d: %w", pos, err)
		}
		for _, e := range batch {
			select {
			case sub.events <- e:
				pos = e.Position
			case <-ctx.Done():
				return ctx.Err()
			case <-s.done:
				return ErrClosed
			}
		}
		if len(batch) == s.cfg.SubscriptionBatch {
			continue // still catching up
		}
		select {
		case <-wake:
		case <-poll.C:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return ErrClosed
		}
	}
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
	s.commits.broadcast()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true, err
		}
		s.commits.broadcast()
	}
}
