package groupcommit

import (
	"runtime"
	"time"
)

// Batch is the batch the writer is building. A BatchCommit takes its
// requests as they join it, so that it can write those it holds while the
// rest of the batch's callers are still on their way: Take hands over what
// has queued, and Wait blocks, when the batch is short of its callers,
// until one more request queues or the linger is over.
//
// A batch takes requests in queue order, up to Config.MaxBatch, and on the
// same terms as Run's (see the package doc): everything already queued,
// then, with Linger, more until it holds as many requests as there are
// known callers or Linger has passed since it started.
//
// Only the writer goroutine uses a Batch, and only during its commit.
type Batch struct {
	q      *Queue
	reqs   []*Request
	taken  int  // requests handed over by Take
	target int  // requests the batch waits for
	over   bool // complete: nothing more joins
	linger *time.Timer
}

func newBatch(q *Queue) *Batch {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &Batch{q: q, reqs: make([]*Request, 0, q.cfg.MaxBatch), linger: t}
}

// start begins a batch with first and whatever else has queued, waiting
// for callers requests at most.
func (b *Batch) start(first *Request, callers int) {
	b.reset()
	b.reqs = b.q.fill(append(b.reqs, first))
	b.target = min(callers, b.q.cfg.MaxBatch)
	if b.q.cfg.Linger <= 0 || len(b.reqs) >= b.target {
		b.over = true
		return
	}
	b.linger.Reset(b.q.cfg.Linger)
}

// startClosing begins one of the batches that drain the queue once the
// store is closing: whatever has queued, without waiting for more.
func (b *Batch) startClosing() {
	b.reset()
	b.reqs = b.q.fill(b.reqs)
	b.over = true
}

func (b *Batch) reset() {
	clear(b.reqs) // drop references to answered requests
	b.reqs, b.taken, b.target, b.over = b.reqs[:0], 0, 0, false
	b.linger.Stop()
}

// Take returns the requests that joined the batch since the last Take
// (first the ones it started with), after adding those queued since,
// without waiting. more is false once the batch is complete: it has as
// many requests as it waits for, or MaxBatch, or its linger is over;
// nothing joins it after that. The requests stay the batch's: Requests
// holds them all, in order.
func (b *Batch) Take() (reqs []*Request, more bool) {
	if !b.over {
		b.reqs = b.q.fill(b.reqs)
	}
	reqs, b.taken = b.reqs[b.taken:], len(b.reqs)
	if !b.over && len(b.reqs) >= b.target {
		b.over = true
		b.linger.Stop()
	}
	return reqs, !b.over
}

// Wait blocks until a request joins the batch or the batch is complete,
// so that the next Take has something to return. It returns at once if
// the batch is complete.
func (b *Batch) Wait() {
	if b.over || len(b.reqs) > b.taken {
		return
	}
	// Callers that are runnable queue their requests first: parked here,
	// the writer would be woken by each of them for one request, a
	// switch to and fro per caller.
	runtime.Gosched()
	if b.reqs = b.q.fill(b.reqs); len(b.reqs) > b.taken {
		return
	}
	select {
	case r := <-b.q.reqs:
		b.reqs = append(b.reqs, r)
	case <-b.linger.C:
		b.over = true
	case <-b.q.done:
		b.over = true
		b.linger.Stop()
	}
}

// Gather waits until the batch is complete.
func (b *Batch) Gather() {
	for {
		if _, more := b.Take(); !more {
			return
		}
		b.Wait()
	}
}

// Requests returns every request that has joined the batch, in queue
// order, whether or not Take has handed it over yet: the ones the commit
// answers. A commit that fails before it has taken them all fails these.
func (b *Batch) Requests() []*Request { return b.reqs }

// Complete returns a batch of exactly reqs, complete from the start: Take
// hands them all over at once and nothing joins. It lets a BatchCommit be
// called on requests of one's choosing (tests).
func Complete(reqs []*Request) *Batch {
	return &Batch{reqs: reqs, over: true}
}
