package subscription

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
)

// ReadAll reads up to limit events of the global log with Position > after,
// in position order, as eventstore.Store.ReadAll does.
type ReadAll func(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error)

// Source is what a Feed reads and what wakes it.
type Source struct {
	Read    ReadAll
	Batch   int           // events per read; a full batch means "still catching up"
	Poll    time.Duration // longest idle wait between reads
	Commits *Notifier     // broadcast after every commit that wrote events
	// Done is closed when the store closes; its subscriptions then end with
	// ErrClosed.
	Done      <-chan struct{}
	ErrClosed error
}

// Feed runs the subscriptions of a store that reads its log with a query:
// each catches up in batches, then waits for a commit broadcast, the poll
// interval (for commits the Notifier does not hear of, such as another
// process's) or the end. Events are sent on an unbuffered channel: a slow
// consumer slows its subscription down and nothing is dropped or held beyond
// one batch.
type Feed struct {
	src Source

	mu      sync.Mutex // guards stopped and the running Add/Wait pairing
	stopped bool
	running sync.WaitGroup
}

// NewFeed returns a Feed over src.
func NewFeed(src Source) *Feed { return &Feed{src: src} }

// Subscribe implements eventstore.Store.Subscribe: it starts a subscription
// to the events after after, or fails with ErrClosed once Stop was called.
func (f *Feed) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("subscribe after %d: %w", after, err)
	}
	sub := New()
	f.mu.Lock()
	if f.stopped {
		f.mu.Unlock()
		return nil, fmt.Errorf("subscribe after %d: %w", after, f.src.ErrClosed)
	}
	// Added under mu so Wait never races with a new Add.
	f.running.Add(1)
	f.mu.Unlock()
	go func() {
		defer f.running.Done()
		sub.Close(f.run(ctx, sub, after))
	}()
	return sub, nil
}

// Stop makes Subscribe fail from now on. A store calls it as it begins to
// close, before closing Source.Done.
func (f *Feed) Stop() {
	f.mu.Lock()
	f.stopped = true
	f.mu.Unlock()
}

// Wait returns when every subscription has ended: after Stop, and once
// Source.Done is closed, promptly.
func (f *Feed) Wait() { f.running.Wait() }

// run sends sub every event after after until ctx ends, the store closes or
// a read fails, and returns the reason: ctx's error, ErrClosed or the read
// error.
func (f *Feed) run(ctx context.Context, sub *Sub, after uint64) error {
	poll := time.NewTicker(f.src.Poll)
	defer poll.Stop()
	pos := after
	for {
		wake := f.src.Commits.Wait()
		batch, err := f.src.Read(ctx, pos, f.src.Batch)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if f.closed() {
				return f.src.ErrClosed
			}
			return fmt.Errorf("subscription after %d: %w", pos, err)
		}
		for _, e := range batch {
			select {
			case sub.events <- e:
				pos = e.Position
			case <-ctx.Done():
				return ctx.Err()
			case <-f.src.Done:
				return f.src.ErrClosed
			}
		}
		if len(batch) == f.src.Batch {
			continue // still catching up
		}
		select {
		case <-wake:
		case <-poll.C:
		case <-ctx.Done():
			return ctx.Err()
		case <-f.src.Done:
			return f.src.ErrClosed
		}
	}
}

// closed reports whether the store has closed.
func (f *Feed) closed() bool {
	select {
	case <-f.src.Done:
		return true
	default:
		return false
	}
}
