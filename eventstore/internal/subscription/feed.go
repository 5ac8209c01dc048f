package subscription

import (
	"context"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
)

// ReadAll reads up to limit events of the global log with Position > after,
// in position order, as eventstore.Store.ReadAll does.
type ReadAll func(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error)

// Feed is how a backend that reads its log with a query feeds its
// subscriptions: catch up in batches of Batch, then wait for Commits, the
// Poll interval (commits the Notifier does not hear of, such as another
// process's) or the end.
type Feed struct {
	Read    ReadAll
	Batch   int           // events per read; a full batch means "still catching up"
	Poll    time.Duration // longest idle wait between reads
	Commits *Notifier     // broadcast after every commit that wrote events
	// Done is closed when the store closes; the subscription then ends with
	// ErrClosed.
	Done      <-chan struct{}
	ErrClosed error
}

// Run sends sub every event after after until ctx ends, the store closes or
// a read fails, and returns the reason: ctx's error, ErrClosed or the read
// error. It does not close sub.
func (f *Feed) Run(ctx context.Context, sub *Sub, after uint64) error {
	poll := time.NewTicker(f.Poll)
	defer poll.Stop()
	pos := after
	for {
		wake := f.Commits.Wait()
		batch, err := f.Read(ctx, pos, f.Batch)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if f.closed() {
				return f.ErrClosed
			}
			return fmt.Errorf("subscription after %d: %w", pos, err)
		}
		for _, e := range batch {
			select {
			case sub.events <- e:
				pos = e.Position
			case <-ctx.Done():
				return ctx.Err()
			case <-f.Done:
				return f.ErrClosed
			}
		}
		if len(batch) == f.Batch {
			continue // still catching up
		}
		select {
		case <-wake:
		case <-poll.C:
		case <-ctx.Done():
			return ctx.Err()
		case <-f.Done:
			return f.ErrClosed
		}
	}
}

func (f *Feed) closed() bool {
	select {
	case <-f.Done:
		return true
	default:
		return false
	}
}
