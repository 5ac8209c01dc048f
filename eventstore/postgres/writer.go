package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/disputes-ledger/disputes/eventstore/internal/appendcheck"
	"github.com/disputes-ledger/disputes/eventstore/internal/groupcommit"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// rollbackTimeout bounds the ROLLBACK after a failed batch; if it does not
// answer in time the connection is dropped, which rolls back as well.
const rollbackTimeout = 5 * time.Second

// commitBatch is the queue's groupcommit.Commit: it runs every request of
// batch in one transaction and returns each request's answer, which the
// queue hands to the callers only now that the transaction has committed
// (or failed).
func (s *Store) commitBatch(batch []*groupcommit.Request) []groupcommit.Response {
	resps := make([]groupcommit.Response, len(batch))
	live := make([]int, 0, len(batch)) // indexes of requests whose caller still waits
	for i, r := range batch {
		if err := r.Ctx.Err(); err != nil {
			resps[i].Err = fmt.Errorf("append %s: %w", r.Stream, err)
			continue
		}
		live = append(live, i)
	}
	if len(live) == 0 {
		return resps
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
			resps[i] = groupcommit.Response{Err: fmt.Errorf("append %s: %w", batch[i].Stream, err)}
		}
		return resps
	}
	s.stats.Committed(len(live))
	if written {
		s.commits.Broadcast()
	}
	return resps
}

// runBatch is one transaction in two round trips: the first pipelines
// BEGIN, the head lock and the lookups; the second the inserts, the head's
// move, the NOTIFY and COMMIT. written reports that events were committed.
// On error nothing is committed (or, if the connection failed around
// COMMIT, the outcome is unknown) and every live request fails with it.
func (s *Store) runBatch(ctx context.Context, batch []*groupcommit.Request, live []int, resps []groupcommit.Response) (written bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("acquire connection: %w", err)
	}
	// pgxpool destroys a connection released inside a transaction, so one
	// left in a failed transaction is never reused.
	defer conn.Release()
	inTx := false
	defer func() {
		if err != nil && inTx {
			// ctx may be what ended the batch: roll back under a fresh,
			// short deadline.
			rbCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
			defer cancel()
			_, rbErr := conn.Exec(rbCtx, "ROLLBACK")
			if rbErr != nil {
				err = errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
			}
		}
	}()

	// The server runs a pipeline's statements one after the other, and
	// under READ COMMITTED each takes its snapshot when it starts: the
	// lookups after the lock, so they see every batch committed before this
	// one, and none can commit until this one ends.
	st := batchState{heads: make(map[string]appendcheck.Head), ids: make(map[uuid.UUID]appendcheck.Place)}
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(s.q.lockHead).QueryRow(func(row pgx.Row) error {
		var last int64
		err := row.Scan(&last)
		st.last = uint64(last)
		return err
	})
	s.queueLookUps(b, batch, live, &st)
	inTx = true
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return false, fmt.Errorf("lock head and read stream heads and event ids: %w", err)
	}

	for _, i := range live {
		resps[i].Res, resps[i].Err = st.apply(batch[i])
	}
	if st.rows.len() == 0 {
		// Only duplicates and refusals: nothing to write. Rolling back also
		// releases the lock.
		if _, err := conn.Exec(ctx, "ROLLBACK"); err != nil {
			return false, fmt.Errorf("rollback: %w", err)
		}
		inTx = false
		return false, nil
	}

	b = &pgx.Batch{}
	r := &st.rows
	b.Queue(s.q.insert, r.positions, r.ids, r.streams, r.revisions, r.types, r.data)
	b.Queue(s.q.setHead, int64(st.last))
	// Delivered to listeners only when the transaction commits.
	b.Queue(s.q.notify, s.channel, strconv.FormatUint(st.last, 10))
	if s.commitDelay != nil {
		b.Queue("SELECT pg_sleep($1)", s.commitDelay().Seconds())
	}
	b.Queue("COMMIT")
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return false, fmt.Errorf("insert %d events and commit: %w", r.len(), err)
	}
	inTx = false
	return true, nil
}

// queueLookUps queues the reads of the heads of the batch's streams and the
// places of its event IDs that are already stored.
func (s *Store) queueLookUps(b *pgx.Batch, batch []*groupcommit.Request, live []int, st *batchState) {
	var (
		streams []string
		ids     []uuid.UUID
		seen    = make(map[string]struct{})
	)
	for _, i := range live {
		r := batch[i]
		if _, ok := seen[r.Stream]; !ok {
			seen[r.Stream] = struct{}{}
			streams = append(streams, r.Stream)
		}
		for _, e := range r.Events {
			ids = append(ids, e.ID)
		}
	}
	b.Queue(s.q.heads, streams).Query(func(rows pgx.Rows) error {
		var (
			stream string
			rev    *int64
		)
		_, err := pgx.ForEachRow(rows, []any{&stream, &rev}, func() error {
			if rev != nil {
				st.heads[stream] = appendcheck.Head{Last: uint64(*rev), Exists: true}
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
			st.ids[id] = appendcheck.Place{Stream: stream, Revision: uint64(rev), Position: uint64(pos)}
			return nil
		})
		return err
	})
}
