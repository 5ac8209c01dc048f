package postgres

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync/atomic"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// writerStats counts the writer's work; tests use it to see group commit.
type writerStats struct {
	commits atomic.Uint64 // committed transactions
	appends atomic.Uint64 // requests answered by a committed transaction
}

// runWriter is the only goroutine of this Store that writes. It serves
// batches until Close, then answers whatever is still queued and exits.
func (s *Store) runWriter() {
	defer close(s.writerDone)
	batch := make([]*appendReq, 0, s.cfg.MaxBatch)
	for {
		select {
		case r := <-s.reqs:
			// Let the other appenders that are runnable queue up first: it
			// costs nothing with one writer and fills batches with many.
			runtime.Gosched()
			batch = s.fill(append(batch[:0], r))
			s.commitBatch(batch)
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

// fill adds the requests already queued, without waiting for more: the
// batch grows by itself while the previous commit is in flight.
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
	resps := make([]appendResp, len(batch))
	defer func() {
		for i, r := range batch {
			r.resp <- resps[i]
		}
	}()
	live := make([]int, 0, len(batch)) // indexes of requests whose caller still waits
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			resps[i].err = fmt.Errorf("append %s: %w", r.stream, err)
			continue
		}
		live = append(live, i)
	}
	if len(live) == 0 {
		return
	}

	// The callers' contexts are checked per request, but the transaction
	// itself must not die with any single caller.
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.BatchTimeout)
	defer cancel()
	written, err := s.runBatch(ctx, batch, live, resps)
	if err != nil {
		// Even a request refused on its own gets the batch's error: its
		// refusal may rest on an earlier request of the batch that is now
		// not committed.
		for _, i := range live {
			resps[i] = appendResp{err: fmt.Errorf("append %s: %w", batch[i].stream, err)}
		}
		return
	}
	s.stats.commits.Add(1)
	s.stats.appends.Add(uint64(len(live)))
	if written {
		s.commits.broadcast()
	}
}

// runBatch is one transaction: lock the head, read what the requests need,
// check them in Go, insert the accepted events, move the head, notify, and
// commit. On error nothing is committed (or, if COMMIT itself failed, the
// outcome is unknown) and every live request fails with it.
func (s *Store) runBatch(ctx context.Context, batch []*appendReq, live []int, resps []appendResp) (written bool, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, tx.Rollback(context.WithoutCancel(ctx)))
		}
	}()

	// The lock comes first, in its own statement: every later statement of
	// the transaction takes its snapshot after it, so it sees every batch
	// committed before this one, and none can commit until this one ends.
	st := batchState{heads: make(map[string]head), ids: make(map[uuid.UUID]place)}
	var last int64
	if err := tx.QueryRow(ctx, s.q.lockHead).Scan(&last); err != nil {
		return false, fmt.Errorf("lock head: %w", err)
	}
	st.last = uint64(last)
	if err := s.lookUp(ctx, tx, batch, live, &st); err != nil {
		return false, err
	}

	for _, i := range live {
		resps[i].res, resps[i].err = st.apply(batch[i])
	}
	if st.rows.len() == 0 {
		// Only duplicates and refusals: nothing to write. Rolling back also
		// releases the lock.
		return false, tx.Rollback(ctx)
	}

	b := &pgx.Batch{}
	r := &st.rows
	b.Queue(s.q.insert, r.positions, r.ids, r.streams, r.revisions, r.types, r.data)
	b.Queue(s.q.setHead, int64(st.last))
	// Delivered to listeners only when the transaction commits.
	b.Queue(s.q.notify, s.channel, strconv.FormatUint(st.last, 10))
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return false, fmt.Errorf("insert %d events: %w", r.len(), err)
	}
	if s.beforeCommit != nil {
		s.beforeCommit()
	}
	if err := tx.Commit(ctx); err != nil {
		return true, fmt.Errorf("commit: %w", err)
	}
	return true, nil
}

// lookUp fills st with the heads of the batch's streams and the places of
// its event IDs that are already stored, in one round trip.
func (s *Store) lookUp(ctx context.Context, tx pgx.Tx, batch []*appendReq, live []int, st *batchState) error {
	var (
		streams []string
		ids     []uuid.UUID
		seen    = make(map[string]struct{})
	)
	for _, i := range live {
		r := batch[i]
		if _, ok := seen[r.stream]; !ok {
			seen[r.stream] = struct{}{}
			streams = append(streams, r.stream)
		}
		for _, e := range r.events {
			ids = append(ids, e.ID)
		}
	}
	b := &pgx.Batch{}
	b.Queue(s.q.heads, streams).Query(func(rows pgx.Rows) error {
		var (
			stream string
			rev    *int64
		)
		_, err := pgx.ForEachRow(rows, []any{&stream, &rev}, func() error {
			if rev != nil {
				st.heads[stream] = head{last: uint64(*rev), exists: true}
			}
			return nil
		})
		return err
	})
	b.Queue(s.q.byIDs, ids).Query(func(rows pgx.Rows) error {
		var (
			id       uuid.UUID
			stream   string
			rev, pos int64
		)
		_, err := pgx.ForEachRow(rows, []any{&id, &stream, &rev, &pos}, func() error {
			st.ids[id] = place{stream: stream, revision: uint64(rev), position: uint64(pos)}
			return nil
		})
		return err
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("read stream heads and event ids: %w", err)
	}
	return nil
}
