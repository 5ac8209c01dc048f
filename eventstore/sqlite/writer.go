package sqlite

import (
	"context"
	"errors"
	"fmt"

	"github.com/disputes-ledger/disputes/eventstore/internal/groupcommit"
)

// flushWhileWaiting is the fewest rows the writer inserts while it waits
// for the rest of a batch's callers, rather than hold them until the batch
// is complete: the insert overlaps the callers' way back, but each INSERT
// statement has a cost of its own, which a few rows do not repay.
const flushWhileWaiting = 16

// batchSource hands the writer a batch's requests as they join it: a
// *groupcommit.Batch, or a script in tests.
type batchSource interface {
	Take() (reqs []*groupcommit.Request, more bool)
	Wait()
	Requests() []*groupcommit.Request
}

// commit is the queue's groupcommit.BatchCommit.
func (s *Store) commit(g *groupcommit.Batch) []groupcommit.Response { return s.commitFrom(g) }

// commitFrom runs every request of the batch in one transaction, writing
// them as they join it, and returns each request's answer, which the queue
// hands to the callers only now that the transaction has committed (or
// failed).
func (s *Store) commitFrom(g batchSource) []groupcommit.Response {
	// The callers' contexts are checked per request, but the transaction
	// itself must not die with any single caller.
	ctx := context.Background()
	var resps []groupcommit.Response
	fail := func(err error) []groupcommit.Response {
		resps = append(resps, make([]groupcommit.Response, len(g.Requests())-len(resps))...)
		failAll(g.Requests(), resps, err)
		return resps
	}

	tx, err := s.wconn.BeginTx(ctx, nil)
	if err != nil {
		return fail(fmt.Errorf("begin: %w", err))
	}
	b := &batchTx{ctx: ctx, tx: tx, w: &s.w, rows: &s.rows, known: s.known,
		heads: s.batchHeads, pending: s.pending[:0]}
	defer clear(s.batchHeads)
	if err := b.bind(); err != nil {
		return fail(errors.Join(err, tx.Rollback()))
	}

	for {
		reqs, more := g.Take()
		b.batch = g.Requests()
		resps = append(resps, make([]groupcommit.Response, len(reqs))...)
		b.resps = resps
		for i := len(resps) - len(reqs); i < len(resps); i++ {
			r := b.batch[i]
			if err := r.Ctx.Err(); err != nil {
				resps[i].Err = fmt.Errorf("append %s: %w", r.Stream, err)
				continue
			}
			if err := b.add(i); err != nil {
				return fail(errors.Join(err, tx.Rollback()))
			}
		}
		if !more {
			break
		}
		// The writer would only wait: it writes what it holds meanwhile.
		if b.pendingRows >= flushWhileWaiting {
			if err := b.flush(); err != nil {
				return fail(errors.Join(err, tx.Rollback()))
			}
		}
		g.Wait()
	}
	if err := b.flush(); err != nil {
		return fail(errors.Join(err, tx.Rollback()))
	}
	s.pending = b.pending

	if err := tx.Commit(); err != nil {
		return fail(fmt.Errorf("commit: %w", err))
	}
	// Only now are the heads the batch wrote (or found, for a retry) facts.
	for i, r := range b.batch {
		if resps[i].Err == nil {
			s.known.committed(r.Stream, resps[i].Res.NextExpected)
		}
	}
	s.stats.Committed(len(b.batch))
	if b.written > 0 {
		s.commits.Broadcast()
	}
	return resps
}

// failAll gives every request that has no error of its own the batch's
// error: none of the batch was committed.
func failAll(batch []*groupcommit.Request, resps []groupcommit.Response, err error) {
	for i, r := range batch {
		if resps[i].Err == nil {
			resps[i] = groupcommit.Response{Err: fmt.Errorf("append %s: %w", r.Stream, err)}
		}
	}
}
