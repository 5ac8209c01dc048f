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

// BatchCommit writes a batch in one transaction, taking its requests as
// they join (Batch.Take, Batch.Wait), and returns one Response per request
// of b.Requests(), in order. It is called by the writer goroutine only.
type BatchCommit func(b *Batch) []Response

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
// Stopped and returns. Each batch is complete before commit sees it.
func (q *Queue) Run(commit Commit) {
	q.RunBatches(func(b *Batch) []Response {
		b.Gather()
		return commit(b.Requests())
	})
}

// RunBatches is Run for a backend that writes a batch's requests as they
// join it (see Batch): commit returns one Response per request of
// b.Requests() once it has taken the last (or given up on the batch).
func (q *Queue) RunBatches(commit BatchCommit) {
	defer close(q.stopped)
	b := newBatch(q)
	callers := 0 // writers expected back for the next batch
	for {
		select {
		case r := <-q.reqs:
			if q.cfg.Yield {
				runtime.Gosched()
			}
			b.start(r, callers)
			resps := commit(b)
			// Requests that queued while the batch committed came from
			// writers other than its callers, who cannot append again
			// before their answer: the next batch waits for both.
			callers = len(b.reqs) + len(q.reqs)
			answer(b.reqs, resps)
		case <-q.done:
			for {
				b.startClosing()
				if len(b.reqs) == 0 {
					return
				}
				answer(b.reqs, commit(b))
			}
		}
	}
}

func answer(batch []*Request, resps []Response) {
	if len(resps) != len(batch) {
		// A backend bug; failing the callers beats leaving them waiting.
		err := fmt.Errorf("group commit: %d answers for %d requests", len(resps), len(batch))
		for _, r := range batch {
			r.resp <- Response{Err: err}
		}
		return
	}
	for i, r := range batch {
		r.resp <- resps[i]
	}
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
