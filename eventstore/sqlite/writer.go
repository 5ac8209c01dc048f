package sqlite

import (
	"context"
	"errors"
	"fmt"

	"github.com/disputes-ledger/disputes/eventstore/internal/groupcommit"
)

// commitBatch is the queue's groupcommit.Commit: it runs every request of
// batch in one transaction and returns each request's answer, which the
// queue hands to the callers only now that the transaction has committed
// (or failed).
func (s *Store) commitBatch(batch []*groupcommit.Request) []groupcommit.Response {
	// The callers' contexts are checked per request, but the transaction
	// itself must not die with any single caller.
	ctx := context.Background()
	resps := make([]groupcommit.Response, len(batch))

	tx, err := s.wconn.BeginTx(ctx, nil)
	if err != nil {
		failAll(batch, resps, fmt.Errorf("begin: %w", err))
		return resps
	}
	b := &batchTx{ctx: ctx, tx: tx, w: &s.w, rows: &s.rows, known: s.known,
		batch: batch, resps: resps, heads: s.batchHeads, pending: s.pending[:0]}
	defer clear(s.batchHeads)
	if err := b.bind(); err != nil {
		failAll(batch, resps, errors.Join(err, tx.Rollback()))
		return resps
	}

	for i, r := range batch {
		if err := r.Ctx.Err(); err != nil {
			resps[i].Err = fmt.Errorf("append %s: %w", r.Stream, err)
			continue
		}
		if err := b.add(i); err != nil {
			failAll(batch, resps, errors.Join(err, tx.Rollback()))
			return resps
		}
	}
	if err := b.flush(); err != nil {
		failAll(batch, resps, errors.Join(err, tx.Rollback()))
		return resps
	}
	s.pending = b.pending

	if err := tx.Commit(); err != nil {
		failAll(batch, resps, fmt.Errorf("commit: %w", err))
		return resps
	}
	// Only now are the heads the batch wrote (or found, for a retry) facts.
	for i, r := range batch {
		if resps[i].Err == nil {
			s.known.committed(r.Stream, resps[i].Res.NextExpected)
		}
	}
	s.stats.Committed(len(batch))
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
