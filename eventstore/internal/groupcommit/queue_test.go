package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/appendcheck"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const waitTimeout = 5 * time.Second

var errClosed = errors.New("test store closed")

func event(rev uint64) eventstore.EventData {
	return eventstore.EventData{ID: uuid.New(), Type: "t", Revision: rev, Data: fmt.Appendf(nil, "rev %d", rev)}
}

// writer is a Commit that records batch sizes, answers every request with
// its stream's name in NextExpected's place (the request's first revision)
// and can be held inside a commit.
type writer struct {
	mu      sync.Mutex
	sizes   []int
	hold    chan struct{} // when set, commit waits for it to close
	entered chan int      // when set, receives each batch's size on entry
}

func (w *writer) commit(batch []*Request) []Response {
	if w.entered != nil {
		w.entered <- len(batch)
	}
	w.mu.Lock()
	w.sizes = append(w.sizes, len(batch))
	hold := w.hold
	w.mu.Unlock()
	if hold != nil {
		<-hold
	}
	resps := make([]Response, len(batch))
	for i, r := range batch {
		resps[i].Res = eventstore.AppendResult{NextExpected: r.Events[0].Revision}
	}
	return resps
}

func (w *writer) batchSizes() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]int(nil), w.sizes...)
}

// start runs a queue with w as its writer and stops it when the test ends.
func start(t *testing.T, cfg Config, w *writer) (q *Queue, stop func()) {
	t.Helper()
	cfg.ErrClosed = errClosed
	if cfg.QueueSize == 0 {
		cfg.QueueSize = 64
	}
	done := make(chan struct{})
	q = New(cfg, done)
	go q.Run(w.commit)
	var once sync.Once
	stop = func() { once.Do(func() { close(done) }) }
	t.Cleanup(func() {
		stop()
		select {
		case <-q.Stopped():
		case <-time.After(waitTimeout):
			t.Error("writer did not stop")
		}
	})
	return q, stop
}

// appendAsync appends one event at rev and reports the result on the channel.
func appendAsync(q *Queue, rev uint64) <-chan error {
	ch := make(chan error, 1)
	go func() {
		res, err := q.Append(context.Background(), "s", eventstore.Any(), []eventstore.EventData{event(rev)})
		if err == nil && res.NextExpected != rev {
			err = fmt.Errorf("answer for %d went to %d", res.NextExpected, rev)
		}
		ch <- err
	}()
	return ch
}

func waitAll(t *testing.T, chs ...<-chan error) {
	t.Helper()
	for i, ch := range chs {
		select {
		case err := <-ch:
			require.NoError(t, err, "append %d", i)
		case <-time.After(waitTimeout):
			require.FailNow(t, "append not answered", "append %d", i)
		}
	}
}

// queued waits until n requests wait in q.
func queued(t *testing.T, q *Queue, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return len(q.reqs) == n }, waitTimeout, time.Millisecond, "%d requests queued", n)
}

func TestAppendRefusesBeforeQueueing(t *testing.T) {
	w := &writer{}
	errEvent := errors.New("backend refuses")
	q, _ := start(t, Config{MaxBatch: 4, Rules: appendcheck.Rules{Event: func(e eventstore.EventData) error {
		if e.Type == "bad" {
			return errEvent
		}
		return nil
	}}}, w)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	bad := event(0)
	bad.Type = "bad"
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		stream string
		events []eventstore.EventData
		want   error
	}{
		{"cancelled context", cancelled, "s", []eventstore.EventData{event(0)}, context.Canceled},
		{"port rule", context.Background(), "", []eventstore.EventData{event(0)}, nil},
		{"backend rule", context.Background(), "s", []eventstore.EventData{bad}, errEvent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := q.Append(tc.ctx, tc.stream, eventstore.Any(), tc.events)
			require.Error(t, err)
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
			}
			assert.Contains(t, err.Error(), "append "+tc.stream+":")
		})
	}
	assert.Empty(t, w.batchSizes(), "nothing reached the writer")
}

// TestBatchesTakeWhatQueued holds the writer in a commit while appends
// queue up: the next batch takes them all, up to MaxBatch.
func TestBatchesTakeWhatQueued(t *testing.T) {
	w := &writer{hold: make(chan struct{}), entered: make(chan int, 16)}
	q, _ := start(t, Config{MaxBatch: 4}, w)
	first := appendAsync(q, 0)
	assert.Equal(t, 1, <-w.entered)
	var rest []<-chan error
	for rev := range uint64(6) {
		rest = append(rest, appendAsync(q, rev+1))
	}
	queued(t, q, 6)
	close(w.hold)
	waitAll(t, append([]<-chan error{first}, rest...)...)
	assert.Equal(t, []int{1, 4, 2}, w.batchSizes())
}

// TestLinger has a batch of one held in its commit while four more queue:
// with Linger the next batch waits for five, the four and the first caller
// coming back (it could not append again before its answer), and commits
// them together; without it, it commits the four, then the fifth alone.
func TestLinger(t *testing.T) {
	for _, tc := range []struct {
		name   string
		linger time.Duration
		want   []int
	}{
		{"lingers", waitTimeout, []int{1, 5}},
		{"no linger", 0, []int{1, 4, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &writer{hold: make(chan struct{}), entered: make(chan int, 16)}
			q, _ := start(t, Config{MaxBatch: 8, Linger: tc.linger}, w)
			chs := []<-chan error{appendAsync(q, 0)}
			assert.Equal(t, 1, <-w.entered)
			for rev := range uint64(4) {
				chs = append(chs, appendAsync(q, 1+rev))
			}
			queued(t, q, 4)
			w.mu.Lock()
			hold := w.hold
			w.hold = nil // later commits run through
			w.mu.Unlock()
			close(hold)
			waitAll(t, chs[0])
			if tc.linger == 0 {
				assert.Equal(t, 4, <-w.entered, "committed without waiting")
			} else {
				queued(t, q, 0) // the writer holds the four and waits
				select {
				case n := <-w.entered:
					require.FailNow(t, "committed without waiting", "batch of %d", n)
				case <-time.After(20 * time.Millisecond):
				}
			}
			chs = append(chs, appendAsync(q, 5)) // the first caller is back
			waitAll(t, chs[1:]...)
			assert.Equal(t, tc.want, w.batchSizes())
		})
	}
}

// TestLoneWriterNeverLingers appends one at a time with an hour's Linger:
// each batch of one is all the callers there are, so none waits.
func TestLoneWriterNeverLingers(t *testing.T) {
	w := &writer{}
	q, _ := start(t, Config{MaxBatch: 8, Linger: time.Hour}, w)
	for rev := range uint64(5) {
		waitAll(t, appendAsync(q, rev))
	}
	assert.Equal(t, []int{1, 1, 1, 1, 1}, w.batchSizes())
}

// TestCloseAnswersQueued closes the store with requests queued behind a
// commit: the writer commits them all before it stops, and an Append after
// that fails with ErrClosed.
func TestCloseAnswersQueued(t *testing.T) {
	w := &writer{hold: make(chan struct{}), entered: make(chan int, 16)}
	q, closeStore := start(t, Config{MaxBatch: 2}, w)
	chs := []<-chan error{appendAsync(q, 0)}
	<-w.entered
	for rev := range uint64(5) {
		chs = append(chs, appendAsync(q, rev+1))
	}
	queued(t, q, 5)
	closeStore()
	close(w.hold)
	waitAll(t, chs...)
	select {
	case <-q.Stopped():
	case <-time.After(waitTimeout):
		t.Fatal("writer did not stop")
	}
	assert.Equal(t, []int{1, 2, 2, 1}, w.batchSizes())

	_, err := q.Append(context.Background(), "s", eventstore.Any(), []eventstore.EventData{event(0)})
	assert.ErrorIs(t, err, errClosed)
}

// TestCallerGivesUp cancels an append the writer is committing: the caller
// returns at once with its context's error and the writer, answering into
// the request's buffer, is not held up.
func TestCallerGivesUp(t *testing.T) {
	w := &writer{hold: make(chan struct{}), entered: make(chan int, 16)}
	q, _ := start(t, Config{MaxBatch: 4}, w)
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() {
		_, err := q.Append(ctx, "s", eventstore.Any(), []eventstore.EventData{event(0)})
		result <- err
	}()
	<-w.entered
	cancel()
	select {
	case err := <-result:
		assert.ErrorIs(t, err, context.Canceled)
		assert.Contains(t, err.Error(), "gave up waiting for commit")
	case <-time.After(waitTimeout):
		t.Fatal("Append did not return after its context ended")
	}
	close(w.hold)
	waitAll(t, appendAsync(q, 1)) // the writer carries on
}

func TestCopyEvents(t *testing.T) {
	in := []eventstore.EventData{event(0), event(1), {ID: uuid.New(), Type: "empty", Revision: 2}}
	out := copyEvents(in)
	require.Len(t, out, len(in))
	for i := range in {
		assert.Equal(t, in[i].ID, out[i].ID)
		assert.Equal(t, in[i].Type, out[i].Type)
		assert.Equal(t, in[i].Revision, out[i].Revision)
		assert.Equal(t, string(in[i].Data), string(out[i].Data))
	}
	in[0].Data[0] = 'X'
	assert.NotEqual(t, in[0].Data, out[0].Data, "the copy does not share the caller's bytes")
	grown := append(out[0].Data, "more"...)
	assert.Equal(t, in[1].Data, out[1].Data, "appending to one event's data does not overwrite the next")
	assert.NotEqual(t, grown, out[0].Data)
}

func TestStats(t *testing.T) {
	var s Stats
	s.Committed(3)
	s.Committed(0)
	assert.Equal(t, uint64(2), s.Commits.Load())
	assert.Equal(t, uint64(3), s.Appends.Load())
}
