package groupcommit

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// streamer is a BatchCommit that writes each request as it joins the
// batch, recording the revisions each Take handed over (0 marks a Wait).
// It can be held after a batch's first Take, and made to fail the first
// batch that reaches failAt requests, taken or not.
type streamer struct {
	mu      sync.Mutex
	takes   [][]uint64 // per batch
	hold    chan struct{}
	entered chan struct{} // receives once a batch has made its first Take
	failAt  int
}

var errCommit = errors.New("commit failed")

func (s *streamer) commit(b *Batch) []Response {
	var takes []uint64
	fail := func() []Response {
		s.record(takes)
		resps := make([]Response, len(b.Requests()))
		for i := range resps {
			resps[i].Err = errCommit
		}
		return resps
	}
	for first := true; ; first = false {
		if !first && s.fails(b) {
			return fail() // perhaps with a request that joined during the Wait
		}
		reqs, more := b.Take()
		for _, r := range reqs {
			takes = append(takes, r.Events[0].Revision)
		}
		if first {
			s.mu.Lock()
			hold := s.hold
			s.mu.Unlock()
			if s.entered != nil {
				s.entered <- struct{}{}
			}
			if hold != nil {
				<-hold
			}
			if s.fails(b) {
				return fail()
			}
		}
		if !more {
			break
		}
		takes = append(takes, 0)
		b.Wait()
	}
	s.record(takes)
	resps := make([]Response, len(b.Requests()))
	for i, r := range b.Requests() {
		resps[i].Res = eventstore.AppendResult{NextExpected: r.Events[0].Revision}
	}
	return resps
}

// fails reports whether the batch is the one to fail.
func (s *streamer) fails(b *Batch) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAt > 0 && len(b.Requests()) >= s.failAt {
		s.failAt = 0
		return true
	}
	return false
}

// waitEntered waits until a batch has made its first Take.
func (s *streamer) waitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-s.entered:
	case <-time.After(waitTimeout):
		require.FailNow(t, "no batch started")
	}
}

// release lets the held batch go on and later ones run through.
func (s *streamer) release() {
	s.mu.Lock()
	hold := s.hold
	s.hold = nil
	s.mu.Unlock()
	close(hold)
}

func (s *streamer) record(takes []uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.takes = append(s.takes, takes)
}

func (s *streamer) batches() [][]uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]uint64(nil), s.takes...)
}

func startBatches(t *testing.T, cfg Config, s *streamer) *Queue {
	t.Helper()
	cfg.ErrClosed = errClosed
	cfg.QueueSize = 64
	done := make(chan struct{})
	q := New(cfg, done)
	go q.RunBatches(s.commit)
	t.Cleanup(func() {
		close(done)
		select {
		case <-q.Stopped():
		case <-time.After(waitTimeout):
			t.Error("writer did not stop")
		}
	})
	return q
}

// TestBatchTakesRequestsAsTheyJoin: the first batch (of one) is held
// while four more queue up; the next batch waits for five callers (the
// four and the first, back from its answer) and its commit is handed the
// four at once, then, after a Wait, the fifth.
func TestBatchTakesRequestsAsTheyJoin(t *testing.T) {
	s := &streamer{hold: make(chan struct{}), entered: make(chan struct{}, 16)}
	q := startBatches(t, Config{MaxBatch: 8, Linger: waitTimeout}, s)
	chs := []<-chan error{appendAsync(q, 1)}
	s.waitEntered(t)
	for rev := range uint64(4) {
		chs = append(chs, appendAsync(q, 2+rev))
	}
	queued(t, q, 4)
	s.release()
	waitAll(t, chs[0])
	s.waitEntered(t) // the second batch has taken the four and waits
	chs = append(chs, appendAsync(q, 6))
	waitAll(t, chs[1:]...)
	got := s.batches()
	require.Len(t, got, 2)
	slices.Sort(got[1][:4]) // the four queued in any order
	assert.Equal(t, [][]uint64{{1}, {2, 3, 4, 5, 0, 6}}, got)
}

// TestBatchEndsWhenLingerPasses: a batch of one caller expecting two (the
// one that queued while the first batch committed, and that batch's
// caller, which does not come back) hands over what it holds once Linger
// has passed.
func TestBatchEndsWhenLingerPasses(t *testing.T) {
	s := &streamer{hold: make(chan struct{}), entered: make(chan struct{}, 16)}
	q := startBatches(t, Config{MaxBatch: 8, Linger: time.Millisecond}, s)
	first := appendAsync(q, 1)
	s.waitEntered(t)
	second := appendAsync(q, 2)
	queued(t, q, 1)
	s.release()
	waitAll(t, first, second)
	assert.Equal(t, [][]uint64{{1}, {2, 0}}, s.batches(), "took the one, waited, gave up")
}

// TestFailedBatchFailsOnlyItsRequests: a commit fails while other requests
// queue behind it. Every request that joined the failed batch gets its
// error — also one that joined during a Wait and that the commit never
// took — and the ones queued behind it are committed by the next batches.
func TestFailedBatchFailsOnlyItsRequests(t *testing.T) {
	for _, tc := range []struct {
		name       string
		failAt     int
		comesBack  bool // the first caller appends again (rev 3) during the second batch
		wantFailed []uint64
		want       [][]uint64
	}{
		{"after its first take", 1, false, []uint64{1}, [][]uint64{{1}, {2, 3}}},
		{"with a request it has not taken", 2, true, []uint64{2, 3}, [][]uint64{{1}, {2, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &streamer{hold: make(chan struct{}), entered: make(chan struct{}, 16), failAt: tc.failAt}
			q := startBatches(t, Config{MaxBatch: 2, Linger: waitTimeout}, s)
			results := map[uint64]<-chan error{1: appendAsync(q, 1)}
			s.waitEntered(t) // the first batch holds request 1
			results[2] = appendAsync(q, 2)
			queued(t, q, 1)
			if !tc.comesBack {
				results[3] = appendAsync(q, 3)
				queued(t, q, 2)
			}
			s.release()
			errs := map[uint64]error{}
			answered := func(rev uint64) {
				select {
				case errs[rev] = <-results[rev]:
				case <-time.After(waitTimeout):
					require.FailNow(t, "append not answered", "append %d", rev)
				}
			}
			if tc.comesBack {
				answered(1)
				s.waitEntered(t) // the second batch took request 2 and waits for 1's caller
				results[3] = appendAsync(q, 3)
			} else {
				answered(1)
			}
			answered(2)
			answered(3)
			for rev, err := range errs {
				if slices.Contains(tc.wantFailed, rev) {
					assert.ErrorIs(t, err, errCommit, "append %d", rev)
				} else {
					assert.NoError(t, err, "append %d", rev)
				}
			}
			assert.Equal(t, tc.want, s.batches())
			// The writer carries on; two callers are expected back.
			waitAll(t, appendAsync(q, 4), appendAsync(q, 5))
		})
	}
}

// TestAnswerCountMismatchFailsTheCallers: a commit that returns the wrong
// number of answers (a backend bug) fails its callers instead of leaving
// them waiting or misrouting answers.
func TestAnswerCountMismatchFailsTheCallers(t *testing.T) {
	done := make(chan struct{})
	q := New(Config{MaxBatch: 4, QueueSize: 4, ErrClosed: errClosed}, done)
	go q.RunBatches(func(b *Batch) []Response {
		b.Gather()
		return nil
	})
	t.Cleanup(func() { close(done); <-q.Stopped() })
	_, err := q.Append(context.Background(), "s", eventstore.Any(), []eventstore.EventData{event(0)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "0 answers for 1 requests")
}

// TestComplete: a batch of given requests hands them all over at once
// and never waits.
func TestComplete(t *testing.T) {
	reqs := []*Request{{Stream: "a"}, {Stream: "b"}}
	b := Complete(reqs)
	got, more := b.Take()
	assert.Equal(t, reqs, got)
	assert.False(t, more)
	b.Wait() // returns at once
	got, more = b.Take()
	assert.Empty(t, got)
	assert.False(t, more)
	assert.Equal(t, reqs, b.Requests())
}
