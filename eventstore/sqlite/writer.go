package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// writerStats counts the writer's work; tests use it to see group commit.
type writerStats struct {
	commits atomic.Uint64 // committed transactions
	appends atomic.Uint64 // requests answered by a committed transaction
}

// runWriter is the only goroutine that writes. It serves batches until Close,
// then answers whatever is still queued and exits.
func (s *Store) runWriter() {
	defer close(s.writerDone)
	batch := make([]*appendReq, 0, s.cfg.MaxBatch)
	linger := time.NewTimer(0)
	<-linger.C
	prev := 0 // size of the previous batch
	for {
		select {
		case r := <-s.reqs:
			batch = s.gather(append(batch[:0], r), prev, linger)
			s.commitBatch(batch)
			prev = len(batch)
		case <-s.done:
			for {
				batch = s.fill(batch[:0])
				if len(batch) == 0 {
					return
				}
				s.commitBatch(batch)
			}
		}
		clear(batch) // drop references to answered requests
	}
}

// gather completes a batch. Whatever queued up during the previous commit
// is taken at once. Then, if the batch is smaller than the previous one, the
// writer lingers up to Config.MaxBatchWait for the callers it has just
// answered to come back with their next appends: without that, concurrent
// writers split into cohorts that alternate between half-size commits. A
// lone writer never waits (its batch of one matches the previous one).
func (s *Store) gather(batch []*appendReq, prev int, linger *time.Timer) []*appendReq {
	batch = s.fill(batch)
	target := min(prev, s.cfg.MaxBatch)
	if len(batch) >= target || s.cfg.MaxBatchWait <= 0 {
		return batch
	}
	linger.Reset(s.cfg.MaxBatchWait)
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
		case r := <-s.reqs:
			batch = s.fill(append(batch, r))
		case <-linger.C:
			return batch
		case <-s.done:
			return batch
		}
	}
	return batch
}

// fill adds the requests already queued, without waiting for more.
func (s *Store) fill(batch []*appendReq) []*appendReq {
	for len(batch) < s.cfg.MaxBatch {
		select {
		case r := <-s.reqs:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// commitBatch runs every request of batch in one transaction and answers each
// caller after the commit.
func (s *Store) commitBatch(batch []*appendReq) {
	// The callers' contexts are checked per request, but the transaction
	// itself must not die with any single caller.
	ctx := context.Background()
	resps := make([]appendResp, len(batch))
	answer := func() {
		for i, r := range batch {
			r.resp <- resps[i]
		}
	}

	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		failAll(batch, resps, fmt.Errorf("begin: %w", err))
		answer()
		return
	}
	b := &batchTx{ctx: ctx, tx: tx, w: &s.w}
	if err := b.bind(); err != nil {
		failAll(batch, resps, errors.Join(err, tx.Rollback()))
		answer()
		return
	}

	written := 0
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			resps[i].err = fmt.Errorf("append %s: %w", r.stream, err)
			continue
		}
		res, reqErr, fatal := b.apply(r)
		if fatal != nil {
			failAll(batch, resps, errors.Join(fatal, tx.Rollback()))
			answer()
			return
		}
		resps[i] = appendResp{res: res, err: reqErr}
		if reqErr == nil && !res.Duplicate {
			written++
		}
	}

	if err := tx.Commit(); err != nil {
		failAll(batch, resps, fmt.Errorf("commit: %w", err))
		answer()
		return
	}
	s.stats.commits.Add(1)
	s.stats.appends.Add(uint64(len(batch)))
	if written > 0 {
		s.commits.Broadcast()
	}
	answer()
}

// failAll gives every request that has no error of its own the batch's
// error: none of the batch was committed.
func failAll(batch []*appendReq, resps []appendResp, err error) {
	for i, r := range batch {
		if resps[i].err == nil {
			resps[i] = appendResp{err: fmt.Errorf("append %s: %w", r.stream, err)}
		}
	}
}
