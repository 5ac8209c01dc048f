package subscription

import (
	"context"
	"sync"

	"github.com/disputes-ledger/disputes/eventstore"
)

// Sub implements eventstore.Subscription for one feeding goroutine: it
// sends with Send (or through a Feed) and ends the subscription with Close.
type Sub struct {
	// events is unbuffered: a slow consumer slows the feeder down and
	// nothing is dropped or held beyond what the feeder itself holds.
	events chan eventstore.RecordedEvent
	mu     sync.Mutex
	err    error
}

// New returns an open subscription.
func New() *Sub { return &Sub{events: make(chan eventstore.RecordedEvent)} }

// Events implements eventstore.Subscription.
func (s *Sub) Events() <-chan eventstore.RecordedEvent { return s.events }

// Err implements eventstore.Subscription.
func (s *Sub) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Send delivers e once the consumer takes it, or returns ctx's error if
// ctx ends first.
func (s *Sub) Send(ctx context.Context, e eventstore.RecordedEvent) error {
	select {
	case s.events <- e:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close records why the subscription ended and closes Events. The reason is
// set first, so a consumer that sees the channel closed reads it from Err.
// Only the feeding goroutine calls Close, once.
func (s *Sub) Close(reason error) {
	s.mu.Lock()
	s.err = reason
	s.mu.Unlock()
	close(s.events)
}
