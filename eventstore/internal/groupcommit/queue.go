package groupcommit

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/appendcheck"
)

// Request is one Append waiting for the writer. Events is the queue's own
// copy, so a caller that stops waiting may reuse its buffers.
type Request struct {
	Ctx      context.Context // the caller's: a request whose caller is gone need not be written
	Stream   string
	Expected eventstore.ExpectedRevision
	Events   []eventstore.EventData
	// resp has room for the one answer, so the writer never blocks on a
	// caller that has already given up.
	resp chan Response
}

// Response is the answer to one Request.
type Response struct {
	Res eventstore.AppendResult
	Err error
}

// Commit writes batch in one transaction and returns one Response per
// request, in order. It is called by the writer goroutine only.
type Commit func(batch []*Request) []Response

// Config tunes a Queue. MaxBatch and QueueSize must be positive.
type Config struct {
	MaxBatch  int           // requests per batch at most
	QueueSize int           // requests that may wait before Append blocks
	Linger    time.Duration // see the package doc; <= 0 never waits
	Yield     bool          // see the package doc
	Rules     appendcheck.Rules
	// ErrClosed is the error of an Append the closed store did not take.
	ErrClosed error
}

// Queue is the append queue of one store.
type Queue struct {
	cfg     Config
	reqs    chan *Request
	done    <-chan struct{}
	stopped chan struct{}
}

// New returns a queue that stops taking requests when done is closed; Run
// then commits what is queued and returns.
func New(cfg Config, done <-chan struct{}) *Queue {
	return &Queue{cfg: cfg, reqs: make(chan *Request, cfg.QueueSize), done: done, stopped: make(chan struct{})}
}

// Stopped is closed when Run has answered its last request.
func (q *Queue) Stopped() <-chan struct{} { return q.stopped }

// Append implements eventstore.Store.Append on the queue: it checks the
// request, queues it for the writer and waits until the batch holding it
// has committed (or failed). Errors name the stream.
func (q *Queue) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
	}
	if err := q.cfg.Rules.Check(stream, events); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
	}
	req := &Request{
		Ctx:      ctx,
		Stream:   stream,
		Expected: expected,
		Events:   copyEvents(events),
		resp:     make(chan Response, 1),
	}

	select {
	case q.reqs <- req:
	case <-ctx.Done():
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, ctx.Err())
	case <-q.done:
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, q.cfg.ErrClosed)
	}

	select {
	case r := <-req.resp:
		return r.Res, r.Err
	case <-ctx.Done():
		// The writer may still commit the request: the outcome is unknown,
		// and a retry with the same IDs is answered as a duplicate.
		return eventstore.AppendResult{}, fmt.Errorf("append %s: gave up waiting for commit: %w", stream, ctx.Err())
	case <-q.stopped:
		// The request may have slipped into the queue after the writer's
		// final drain; if the writer did answer, the answer is already here.
		select {
		case r := <-req.resp:
			return r.Res, r.Err
		default:
			return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, q.cfg.ErrClosed)
		}
	}
}

// copyEvents copies the events and their bytes into one allocation, so a
// caller that stops waiting (cancelled ctx) may reuse its buffers while the
// writer still holds the request.
func copyEvents(events []eventstore.EventData) []eventstore.EventData {
	n := 0
	for _, e := range events {
		n += len(e.Data)
	}
	buf := make([]byte, 0, n)
	out := make([]eventstore.EventData, len(events))
	for i, e := range events {
		start := len(buf)
		buf = append(buf, e.Data...)
		e.Data = buf[start:len(buf):len(buf)]
		out[i] = e
	}
	return out
}

// Run is the writer: the only goroutine that commits. It serves batches
// until done is closed, then commits whatever is still queued, closes
// Stopped and returns.
func (q *Queue) Run(commit Commit) {
	defer close(q.stopped)
	batch := make([]*Request, 0, q.cfg.MaxBatch)
	linger := time.NewTimer(0)
	<-linger.C
	callers := 0 // writers expected back for the next batch
	for {
		select {
		case r := <-q.reqs:
			if q.cfg.Yield {
				runtime.Gosched()
			}
			batch = q.gather(append(batch[:0], r), callers, linger)
			resps := commit(batch)
			// Requests that queued while the batch committed came from
			// writers other than its callers, who cannot append again
			// before their answer: the next batch waits for both.
			callers = len(batch) + len(q.reqs)
			answer(batch, resps)
		case <-q.done:
			for {
				batch = q.fill(batch[:0])
				if len(batch) == 0 {
					return
				}
				answer(batch, commit(batch))
			}
		}
		clear(batch) // drop references to answered requests
	}
}

func answer(batch []*Request, resps []Response) {
	for i, r := range batch {
		r.resp <- resps[i]
	}
}

// gather completes a batch: whatever queued up during the previous commit
// is taken at once, then, with Linger set and fewer requests than callers
// (the previous batch's callers and the requests that queued while it
// committed), it waits up to Linger for more. A lone writer never waits
// (its batch of one is all the callers there are).
func (q *Queue) gather(batch []*Request, callers int, linger *time.Timer) []*Request {
	batch = q.fill(batch)
	target := min(callers, q.cfg.MaxBatch)
	if len(batch) >= target || q.cfg.Linger <= 0 {
		return batch
	}
	linger.Reset(q.cfg.Linger)
	defer func() {
		if !linger.Stop() {
			select {
			case <-linger.C:
			default:
			}
		}
	}()
	for len(batch) < target {
		select {
		case r := <-q.reqs:
			batch = q.fill(append(batch, r))
		case <-linger.C:
			return batch
		case <-q.done:
			return batch
		}
	}
	return batch
}

// fill adds the requests already queued, without waiting for more: the
// batch grows by itself while the previous commit is in flight.
func (q *Queue) fill(batch []*Request) []*Request {
	for len(batch) < q.cfg.MaxBatch {
		select {
		case r := <-q.reqs:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// Stats counts a writer's work; tests use it to see group commit.
type Stats struct {
	Commits atomic.Uint64 // committed transactions
	Appends atomic.Uint64 // requests answered by a committed transaction
}

// Committed counts one committed transaction that answered appends requests.
func (s *Stats) Committed(appends int) {
	s.Commits.Add(1)
	s.Appends.Add(uint64(appends))
}
