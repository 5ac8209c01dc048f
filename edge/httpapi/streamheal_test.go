package httpapi_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/eventstore"
)

var errRestart = errors.New("injected: terminating connection due to administrator command (SQLSTATE 57P01)")

// restartingStore serves the API's streams from a store that fails every
// other read of the log and ends every live subscription after two events,
// as a store that keeps restarting does.
type restartingStore struct {
	eventstore.Store
	reads, drops atomic.Int64
}

func (s *restartingStore) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	if limit > 1 && s.reads.Add(1)%2 == 0 {
		return nil, errRestart
	}
	return s.Store.ReadAll(ctx, after, limit)
}

func (s *restartingStore) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	ctx, cancel := context.WithCancel(ctx)
	inner, err := s.Store.Subscribe(ctx, after)
	if err != nil {
		cancel()
		return nil, err
	}
	out := &cutSubscription{ch: make(chan eventstore.RecordedEvent)}
	go func() {
		defer cancel()
		n := 0
		for e := range inner.Events() {
			if n == 2 {
				s.drops.Add(1)
				out.end(errRestart)
				return
			}
			select {
			case out.ch <- e:
				n++
			case <-ctx.Done():
				out.end(ctx.Err())
				return
			}
		}
		out.end(inner.Err())
	}()
	return out, nil
}

type cutSubscription struct {
	ch  chan eventstore.RecordedEvent
	mu  sync.Mutex
	err error
}

func (c *cutSubscription) Events() <-chan eventstore.RecordedEvent { return c.ch }
func (c *cutSubscription) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
func (c *cutSubscription) end(err error) {
	c.mu.Lock()
	c.err = err
	c.mu.Unlock()
	close(c.ch)
}

// TestEventStreamHealsAfterStoreFailures keeps one stream open while the
// store fails under it again and again: the stream stays open and carries
// every event once, in order (a client would otherwise have to notice and
// reconnect).
func TestEventStreamHealsAfterStoreFailures(t *testing.T) {
	t.Parallel()
	var flaky *restartingStore
	l := newLedger(t, options{cfg: func(c *httpapi.Config) {
		flaky = &restartingStore{Store: c.Store}
		c.Store = flaky
	}})
	for i := range 3 {
		id := "H-" + strconv.Itoa(i)
		l.as("buyer:b-1").ok(id, "open_ticket", "o-"+id, openData("m-1"))
	}
	s, _ := l.openStream(t, l.as("auditor:au-1"), "/v1/events", nil)
	for want := uint64(1); want <= 3; want++ {
		pos, _ := s.next(t)
		assert.Equal(t, want, pos)
	}
	for i := range 6 {
		id := "H-" + strconv.Itoa(i%3)
		l.as("merchant:m-1").ok(id, "post_message", "m-"+strconv.Itoa(i), map[string]any{"text": "looking"})
	}
	for want := uint64(4); want <= 9; want++ {
		pos, env := s.next(t)
		assert.Equal(t, want, pos, "every event once, in order, across the failures")
		assert.NotEmpty(t, env.Stream)
	}
	assert.Positive(t, flaky.drops.Load(), "live subscriptions were cut and replaced")
}
