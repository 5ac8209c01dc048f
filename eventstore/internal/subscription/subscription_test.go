package subscription

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// waitTimeout bounds every wait, so a broken loop fails instead of hanging.
const waitTimeout = 5 * time.Second

var errClosed = errors.New("test store closed")

// memLog is a global log in memory with a ReadAll that counts its calls and
// can be told to fail or to run a hook after each read.
type memLog struct {
	mu        sync.Mutex
	events    []eventstore.RecordedEvent
	reads     int
	fail      error
	afterRead func() // runs after a read has taken its snapshot, outside mu
}

func (l *memLog) add(n int) []eventstore.RecordedEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	start := len(l.events)
	for range n {
		l.events = append(l.events, eventstore.RecordedEvent{ID: uuid.New(), Stream: "s", Position: uint64(len(l.events) + 1)})
	}
	return append([]eventstore.RecordedEvent(nil), l.events[start:]...)
}

func (l *memLog) read(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	l.mu.Lock()
	l.reads++
	if err := ctx.Err(); err != nil {
		l.mu.Unlock()
		return nil, err
	}
	if l.fail != nil {
		err := l.fail
		l.mu.Unlock()
		return nil, err
	}
	var out []eventstore.RecordedEvent
	for _, e := range l.events {
		if e.Position > after && (limit <= 0 || len(out) < limit) {
			out = append(out, e)
		}
	}
	hook := l.afterRead
	l.mu.Unlock()
	if hook != nil {
		hook()
	}
	return out, nil
}

func (l *memLog) readCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reads
}

// start subscribes to f after after.
func start(t *testing.T, ctx context.Context, f *Feed, after uint64) eventstore.Subscription {
	t.Helper()
	sub, err := f.Subscribe(ctx, after)
	require.NoError(t, err)
	return sub
}

func newFeed(log *memLog, batch int, poll time.Duration) (*Feed, chan struct{}) {
	done := make(chan struct{})
	return NewFeed(Source{Read: log.read, Batch: batch, Poll: poll, Commits: NewNotifier(), Done: done, ErrClosed: errClosed}), done
}

func receive(t *testing.T, sub eventstore.Subscription, n int) []eventstore.RecordedEvent {
	t.Helper()
	got := []eventstore.RecordedEvent{}
	for len(got) < n {
		select {
		case e, ok := <-sub.Events():
			require.True(t, ok, "closed after %d of %d events: %v", len(got), n, sub.Err())
			got = append(got, e)
		case <-time.After(waitTimeout):
			require.FailNow(t, "subscription stalled", "%d of %d events", len(got), n)
		}
	}
	return got
}

func ended(t *testing.T, sub eventstore.Subscription) error {
	t.Helper()
	for {
		select {
		case _, ok := <-sub.Events():
			if !ok {
				return sub.Err()
			}
		case <-time.After(waitTimeout):
			require.FailNow(t, "subscription did not end")
		}
	}
}

func TestNotifier(t *testing.T) {
	n := NewNotifier()
	before := n.Wait()
	select {
	case <-before:
		t.Fatal("closed before any broadcast")
	default:
	}
	n.Broadcast()
	select {
	case <-before:
	default:
		t.Fatal("a channel taken before the broadcast must be closed by it")
	}
	after := n.Wait()
	select {
	case <-after:
		t.Fatal("a channel taken after the broadcast must wait for the next one")
	default:
	}
	n.Broadcast()
	<-after
}

func TestSubSendAndClose(t *testing.T) {
	sub := New()
	e := eventstore.RecordedEvent{ID: uuid.New(), Position: 1}
	sent := make(chan error, 1)
	go func() { sent <- sub.Send(context.Background(), e) }()
	assert.Equal(t, e, <-sub.Events())
	require.NoError(t, <-sent)
	assert.NoError(t, sub.Err(), "nil while open")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, sub.Send(ctx, e), context.Canceled, "nobody reads: the context ends the send")

	reason := errors.New("reason")
	sub.Close(reason)
	_, ok := <-sub.Events()
	assert.False(t, ok)
	assert.Equal(t, reason, sub.Err(), "the reason is set before the channel closes")
}

// TestFeedCatchUpThenLive reads the stored events in full batches, then
// waits for a broadcast (the poll is an hour) and delivers the new ones.
func TestFeedCatchUpThenLive(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stored int
		after  uint64
		batch  int
		reads  int // reads before the feed goes idle
	}{
		{"empty log", 0, 0, 4, 1},
		{"fewer than a batch", 3, 0, 4, 1},
		{"exact batches", 8, 0, 4, 3},
		{"batches and a rest", 10, 0, 4, 3},
		{"after a position", 10, 6, 4, 2}, // a full batch of 4, then none
		{"after the end", 10, 10, 4, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			log := &memLog{}
			stored := log.add(tc.stored)
			f, _ := newFeed(log, tc.batch, time.Hour)
			sub := start(t, ctx, f, tc.after)

			want := append([]eventstore.RecordedEvent{}, stored[tc.after:]...)
			assert.Equal(t, want, receive(t, sub, len(want)), "catch-up")
			require.Eventually(t, func() bool { return log.readCount() == tc.reads }, waitTimeout, time.Millisecond, "reads while catching up")

			live := log.add(2)
			f.src.Commits.Broadcast()
			assert.Equal(t, live, receive(t, sub, 2), "live")
			cancel()
			assert.ErrorIs(t, ended(t, sub), context.Canceled)
		})
	}
}

// TestFeedCommitBetweenReadAndWait commits right after a read has taken its
// snapshot and before the feed waits: the wake channel was taken before the
// read, so the broadcast is not lost although the poll is an hour.
func TestFeedCommitBetweenReadAndWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := &memLog{}
	f, _ := newFeed(log, 4, time.Hour)
	var once sync.Once
	var committed []eventstore.RecordedEvent
	log.afterRead = func() {
		once.Do(func() {
			committed = log.add(1)
			f.src.Commits.Broadcast()
		})
	}
	sub := start(t, ctx, f, 0)
	got := receive(t, sub, 1)
	assert.Equal(t, committed, got)
}

// TestFeedPolls delivers a commit nobody broadcast, within the poll interval.
func TestFeedPolls(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := &memLog{}
	f, _ := newFeed(log, 4, 10*time.Millisecond)
	sub := start(t, ctx, f, 0)
	require.Eventually(t, func() bool { return log.readCount() >= 1 }, waitTimeout, time.Millisecond)
	added := log.add(1)
	assert.Equal(t, added, receive(t, sub, 1))
}

// TestFeedEnds checks the reason Run gives for every way it ends.
func TestFeedEnds(t *testing.T) {
	readErr := errors.New("disk on fire")
	for _, tc := range []struct {
		name string
		// setup runs with the feed started; it ends the feed somehow.
		setup func(log *memLog, f *Feed, done chan struct{}, cancel context.CancelFunc)
		want  error
	}{
		{"context cancelled while idle", func(_ *memLog, _ *Feed, _ chan struct{}, cancel context.CancelFunc) { cancel() }, context.Canceled},
		{"store closed while idle", func(_ *memLog, _ *Feed, done chan struct{}, _ context.CancelFunc) { close(done) }, errClosed},
		{"read fails", func(log *memLog, f *Feed, _ chan struct{}, _ context.CancelFunc) {
			log.mu.Lock()
			log.fail = readErr
			log.mu.Unlock()
			f.src.Commits.Broadcast()
		}, readErr},
		{"read fails because the store closed", func(log *memLog, f *Feed, done chan struct{}, _ context.CancelFunc) {
			log.mu.Lock()
			log.fail = readErr
			log.mu.Unlock()
			close(done)
		}, errClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			log := &memLog{}
			f, done := newFeed(log, 4, time.Hour)
			sub := start(t, ctx, f, 0)
			require.Eventually(t, func() bool { return log.readCount() >= 1 }, waitTimeout, time.Millisecond, "idle")
			tc.setup(log, f, done, cancel)
			assert.ErrorIs(t, ended(t, sub), tc.want)
		})
	}
}

// TestFeedStopAndWait: after Stop, Subscribe fails with ErrClosed; Wait
// returns once Done has ended the running subscriptions, not before.
func TestFeedStopAndWait(t *testing.T) {
	ctx := context.Background()
	log := &memLog{}
	f, done := newFeed(log, 4, time.Hour)
	running := start(t, ctx, f, 0)

	f.Stop()
	_, err := f.Subscribe(ctx, 0)
	assert.ErrorIs(t, err, errClosed)
	waited := make(chan struct{})
	go func() {
		f.Wait()
		close(waited)
	}()
	select {
	case <-waited:
		t.Fatal("Wait returned while a subscription was running")
	case <-time.After(20 * time.Millisecond):
	}
	close(done)
	assert.ErrorIs(t, ended(t, running), errClosed)
	select {
	case <-waited:
	case <-time.After(waitTimeout):
		t.Fatal("Wait did not return after the store closed")
	}
}

func TestFeedSubscribeWithEndedContext(t *testing.T) {
	f, _ := newFeed(&memLog{}, 4, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.Subscribe(ctx, 0)
	assert.ErrorIs(t, err, context.Canceled)
}

// TestFeedEndsWhileConsumerStalls ends a feed blocked on a consumer that does
// not read: closing the store or cancelling must not wait for the consumer.
func TestFeedEndsWhileConsumerStalls(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(done chan struct{}, cancel context.CancelFunc)
		want error
	}{
		{"store closed", func(done chan struct{}, _ context.CancelFunc) { close(done) }, errClosed},
		{"context cancelled", func(_ chan struct{}, cancel context.CancelFunc) { cancel() }, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			log := &memLog{}
			log.add(3)
			f, done := newFeed(log, 4, time.Hour)
			sub := New()
			result := make(chan error, 1)
			go func() { result <- f.run(ctx, sub, 0) }()
			require.Eventually(t, func() bool { return log.readCount() >= 1 }, waitTimeout, time.Millisecond)
			tc.end(done, cancel)
			select {
			case err := <-result:
				assert.ErrorIs(t, err, tc.want)
			case <-time.After(waitTimeout):
				t.Fatal("Run blocked on a consumer that does not read")
			}
		})
	}
}
