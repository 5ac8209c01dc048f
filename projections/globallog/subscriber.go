package globallog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/disputes-ledger/disputes/eventstore"
)

// Config configures a Subscriber. Store and Checkpoint are required; every
// other zero field takes its default.
type Config struct {
	// Store is the ledger whose global log is delivered.
	Store eventstore.Store

	// Checkpoint returns the position of the last event the consumer has
	// durably processed (0 for none). Subscribe calls it once; delivery
	// starts right after it.
	Checkpoint func(ctx context.Context) (uint64, error)

	// PageSize caps the events in one message. Default 512; 1 delivers one
	// event per message.
	PageSize int

	// Pager reads and decodes the log during catch-up. Subscribers that share
	// one Pager decode each event once. Default: a private Pager.
	Pager *Pager

	// NackResendSleep is how long a nacked page waits before it is sent
	// again. Default 100ms.
	NackResendSleep time.Duration

	// RetryInterval is how long the subscriber waits before reading again
	// after the store failed. Default 1s.
	RetryInterval time.Duration

	// Logger receives read failures. Default: none.
	Logger watermill.LoggerAdapter
}

func (c *Config) setDefaults() {
	if c.PageSize == 0 {
		c.PageSize = 512
	}
	if c.NackResendSleep == 0 {
		c.NackResendSleep = 100 * time.Millisecond
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = time.Second
	}
	if c.Logger == nil {
		c.Logger = watermill.NopLogger{}
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("Store is required"))
	}
	if c.Checkpoint == nil {
		errs = append(errs, errors.New("Checkpoint is required"))
	}
	if c.PageSize < 0 || c.NackResendSleep < 0 || c.RetryInterval < 0 {
		errs = append(errs, errors.New("PageSize, NackResendSleep and RetryInterval must not be negative"))
	}
	return errors.Join(errs...)
}

// ErrClosed is returned by Subscribe after Close.
var ErrClosed = errors.New("global-log subscriber closed")

// ErrUnknownTopic is returned by Subscribe for a topic other than Topic.
var ErrUnknownTopic = errors.New("unknown topic")

// Subscriber is a Watermill message.Subscriber over the global log. See the
// package documentation for the message format and delivery contract. It is
// safe for concurrent use; each Subscribe call is an independent
// subscription starting from the checkpoint.
type Subscriber struct {
	cfg   Config
	pager *Pager
	owned bool // pager created here, closed by Close

	mu     sync.Mutex
	closed bool
	done   chan struct{}
	wg     sync.WaitGroup
}

var _ message.Subscriber = (*Subscriber)(nil)

// NewSubscriber returns a subscriber for cfg.
func NewSubscriber(cfg Config) (*Subscriber, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("global-log subscriber config: %w", err)
	}
	s := &Subscriber{cfg: cfg, pager: cfg.Pager, done: make(chan struct{})}
	if s.pager == nil {
		s.pager, s.owned = NewPager(cfg.Store, 0, 0), true
	}
	return s, nil
}

// Subscribe implements message.Subscriber: it delivers the global log after
// the consumer's checkpoint, catching up first and then live, until ctx ends
// or Close is called; then the channel is closed.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	if topic != Topic {
		return nil, fmt.Errorf("subscribe %q: %w (the global log is %q)", topic, ErrUnknownTopic, Topic)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	s.wg.Add(1)
	s.mu.Unlock()

	after, err := s.cfg.Checkpoint(ctx)
	if err != nil {
		s.wg.Done()
		return nil, fmt.Errorf("subscribe %q: read checkpoint: %w", topic, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	out := make(chan *message.Message)
	go func() {
		defer s.wg.Done()
		defer close(out)
		defer cancel()
		go func() { // Close ends every subscription
			select {
			case <-s.done:
				cancel()
			case <-ctx.Done():
			}
		}()
		s.run(ctx, after, out)
	}()
	return out, nil
}

// Close ends every subscription and waits for their channels to close.
func (s *Subscriber) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	s.mu.Unlock()
	s.wg.Wait()
	if s.owned {
		s.pager.Close()
	}
	return nil
}

// run delivers pages until ctx ends.
func (s *Subscriber) run(ctx context.Context, after uint64, out chan<- *message.Message) {
	pos, ok := s.catchUp(ctx, after, out)
	if !ok {
		return
	}
	for ctx.Err() == nil {
		next, ok := s.live(ctx, pos, out)
		if !ok {
			return
		}
		pos = next
		s.pause(ctx, s.cfg.RetryInterval)
	}
}

// catchUp delivers the stored log after pos through the pager and returns
// the last position delivered once it reaches the head.
func (s *Subscriber) catchUp(ctx context.Context, pos uint64, out chan<- *message.Message) (uint64, bool) {
	cur := s.pager.Cursor()
	defer cur.Close()
	for {
		sp, full, err := s.pager.read(ctx, cur, pos)
		if err != nil {
			if ctx.Err() != nil {
				return pos, false
			}
			s.cfg.Logger.Error("Reading the global log failed, retrying", err, watermill.LogFields{"after": pos})
			if !s.pause(ctx, s.cfg.RetryInterval) {
				return pos, false
			}
			continue
		}
		for i := 0; i < len(sp.events); {
			n := s.pageLen(sp.events[i:])
			page := Page{Events: sp.events[i : i+n], Tail: !full && i+n == len(sp.events)}
			if !s.deliver(ctx, page, sp.payload(i, i+n), out) {
				return pos, false
			}
			pos, i = page.Last(), i+n
		}
		if !full {
			return pos, true
		}
	}
}

// live delivers events as they commit, batching what is already waiting,
// until the store subscription ends. It returns the last position delivered.
func (s *Subscriber) live(ctx context.Context, pos uint64, out chan<- *message.Message) (uint64, bool) {
	sub, err := s.cfg.Store.Subscribe(ctx, pos)
	if err != nil {
		if ctx.Err() == nil {
			s.cfg.Logger.Error("Subscribing to the global log failed, retrying", err, watermill.LogFields{"after": pos})
		}
		return pos, ctx.Err() == nil
	}
	ch := sub.Events()
	for {
		var first eventstore.RecordedEvent
		var ok bool
		select {
		case first, ok = <-ch:
		case <-ctx.Done():
			return pos, false
		}
		if !ok {
			if ctx.Err() == nil {
				s.cfg.Logger.Error("Global-log subscription ended, resubscribing", sub.Err(), watermill.LogFields{"after": pos})
			}
			return pos, ctx.Err() == nil
		}
		evs := []Event{decode(first)}
		tail := true
	drain:
		for len(evs) < s.cfg.PageSize && framable(evs[len(evs)-1].Record.Data) {
			select {
			case rec, ok := <-ch:
				if !ok {
					break drain
				}
				evs = append(evs, decode(rec))
			default:
				break drain
			}
		}
		if len(evs) == s.cfg.PageSize {
			tail = false
		}
		for len(evs) > 0 {
			n := s.pageLen(evs)
			page := Page{Events: evs[:n], Tail: tail && n == len(evs)}
			if !s.deliver(ctx, page, payloadOf(page), out) {
				return pos, false
			}
			pos, evs = page.Last(), evs[n:]
		}
	}
}

// pageLen returns how many of evs go into the next message: up to PageSize,
// and a record that cannot be framed in JSON Lines travels alone.
func (s *Subscriber) pageLen(evs []Event) int {
	n := min(len(evs), s.cfg.PageSize)
	for i := 0; i < n; i++ {
		if !framable(evs[i].Record.Data) {
			if i == 0 {
				return 1
			}
			return i
		}
	}
	return n
}

// deliver sends page until it is acked; a nack sends it again after
// NackResendSleep. It returns false when ctx ended first.
func (s *Subscriber) deliver(ctx context.Context, page Page, payload []byte, out chan<- *message.Message) bool {
	for {
		msg := newMessage(ctx, page, payload)
		select {
		case out <- msg:
		case <-ctx.Done():
			return false
		}
		select {
		case <-msg.Acked():
			return ctx.Err() == nil
		case <-msg.Nacked():
			if !s.pause(ctx, s.cfg.NackResendSleep) {
				return false
			}
		case <-ctx.Done():
			return false
		}
	}
}

// pause waits d or until ctx ends; it reports whether ctx is still live.
func (s *Subscriber) pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
