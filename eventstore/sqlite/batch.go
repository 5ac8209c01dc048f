package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/appendcheck"
	"github.com/disputes-ledger/disputes/eventstore/internal/groupcommit"
	"github.com/google/uuid"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// writeStmts are prepared once on the writer's single connection and bound
// to each batch's transaction with Tx.StmtContext, which reuses the prepared
// statement rather than compiling it again.
type writeStmts struct {
	maxPosition  *sql.Stmt
	head         *sql.Stmt
	byID         *sql.Stmt
	insert       *sql.Stmt
	insertIfHead *sql.Stmt
	savepoint    *sql.Stmt
	release      *sql.Stmt
	rollbackTo   *sql.Stmt
}

func (w *writeStmts) prepare(ctx context.Context, db *sql.DB) error {
	return prepareAll(ctx, db,
		stmt{&w.maxPosition, `SELECT coalesce(max(position), 0) FROM events`},
		stmt{&w.head, `SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1`},
		stmt{&w.byID, `SELECT stream, revision, position FROM events WHERE id = ?`},
		stmt{&w.insert, `INSERT INTO events (position, id, stream, revision, type, data) VALUES (?, ?, ?, ?, ?, ?)`},
		// The stream column is NULL, which its NOT NULL constraint refuses,
		// unless the stream's last revision is ?4 - 1 (none for ?4 = 0).
		// Written as INSERT … VALUES rather than INSERT … SELECT … WHERE: a
		// SELECT reading the table it inserts into makes SQLite stage its
		// rows in a temporary table and open a statement journal, which cost
		// about a third of the writer's CPU.
		stmt{&w.insertIfHead, `INSERT INTO events (position, id, stream, revision, type, data) VALUES (?1, ?2,
			CASE WHEN coalesce((SELECT revision FROM events WHERE stream = ?3 ORDER BY revision DESC LIMIT 1), -1) = ?4 - 1 THEN ?3 END,
			?4, ?5, ?6)`},
		stmt{&w.savepoint, `SAVEPOINT append`},
		stmt{&w.release, `RELEASE append`},
		stmt{&w.rollbackTo, `ROLLBACK TO append`},
	)
}

func (w *writeStmts) close() error {
	return closeAll(w.maxPosition, w.head, w.byID, w.insert, w.insertIfHead, w.savepoint, w.release, w.rollbackTo)
}

// batchTx is one group-commit transaction. Every query runs inside it, so
// each request's checks see the batch's earlier inserts as well as the
// committed log.
type batchTx struct {
	ctx   context.Context
	tx    *sql.Tx
	w     *writeStmts
	rows  *rowInserts
	known *knownHeads
	batch []*groupcommit.Request
	resps []groupcommit.Response
	// bound statements
	head, byID, insert, insertIfHead, savepoint, release, rollbackTo *sql.Stmt
	// last is the highest position in the log including this batch so far.
	last int64
	// heads holds the last revision this batch wrote (or holds pending) to
	// each stream it wrote to.
	heads map[string]uint64
	// pending are the requests (indices into batch) whose rows wait for
	// one multi-row INSERT, holding pendingRows rows.
	pending     []int
	pendingRows int
	// written counts the requests that wrote events.
	written int
}

func (b *batchTx) bind() error {
	b.head = b.tx.StmtContext(b.ctx, b.w.head)
	b.byID = b.tx.StmtContext(b.ctx, b.w.byID)
	b.insert = b.tx.StmtContext(b.ctx, b.w.insert)
	b.insertIfHead = b.tx.StmtContext(b.ctx, b.w.insertIfHead)
	b.savepoint = b.tx.StmtContext(b.ctx, b.w.savepoint)
	b.release = b.tx.StmtContext(b.ctx, b.w.release)
	b.rollbackTo = b.tx.StmtContext(b.ctx, b.w.rollbackTo)
	// Read under the write lock (BEGIN IMMEDIATE): no other connection can
	// add a position before this transaction commits.
	if err := b.tx.StmtContext(b.ctx, b.w.maxPosition).QueryRowContext(b.ctx).Scan(&b.last); err != nil {
		return fmt.Errorf("read last position: %w", err)
	}
	return nil
}

// add writes request i of the batch, or holds it for the next multi-row
// INSERT, and sets its answer once it is written or refused. An error
// means the transaction is no longer usable.
//
// A request that continues a stream at the revision known to be its head
// (written earlier in the batch, or seen committed: knownHeads), or that
// starts a stream the writer knows nothing of, needs no read to check its
// revision: its rows can only collide with a row already at its first
// revision (UNIQUE (stream, revision)) or an ID already stored (UNIQUE id).
// Such requests wait in pending and go in one INSERT; every other request
// first flushes them, then is checked and written alone (apply), so the
// rows keep the order of the requests.
func (b *batchTx) add(i int) error {
	r := b.batch[i]
	// Flushing first when r does not fit: a flush that falls back to
	// checking each request can change the heads r would be judged by.
	if b.pendingRows+len(r.Events) > maxRowsPerInsert {
		if err := b.flush(); err != nil {
			return err
		}
	}
	if !b.continuesHead(r) {
		if err := b.flush(); err != nil {
			return err
		}
		return b.applyOne(i)
	}
	b.pending = append(b.pending, i)
	b.pendingRows += len(r.Events)
	b.heads[r.Stream] = r.Events[len(r.Events)-1].Revision
	return nil
}

// continuesHead reports whether r's first revision follows the head its
// stream is known to have (none, for a stream the writer knows nothing of).
func (b *batchTx) continuesHead(r *groupcommit.Request) bool {
	first := r.Events[0].Revision
	if len(r.Events) > maxRowsPerInsert || !appendcheck.RevisionsFrom(r.Events, first) || !appendcheck.Consistent(r.Expected, first) {
		return false
	}
	if last, ok := b.heads[r.Stream]; ok {
		return first == last+1
	}
	if last, ok := b.known.get(r.Stream); ok {
		return first == last+1
	}
	return first == 0
}

// flush writes the pending requests' rows in one INSERT. If any of them
// collides, SQLite undoes the whole statement, and each pending request is
// then checked and written alone, in order, which finds the one at fault
// and gives it its answer (perhaps an idempotent retry).
func (b *batchTx) flush() error {
	if len(b.pending) == 0 {
		return nil
	}
	pending := b.pending
	defer func() { b.pending, b.pendingRows = pending[:0], 0 }()
	pos := b.last
	for _, i := range pending {
		r := b.batch[i]
		for k := range r.Events {
			e := &r.Events[k]
			pos++
			b.rows.add(pos, e.ID[:], r.Stream, int64(e.Revision), e.Type, e.Data)
		}
	}
	err := b.rows.exec(b.ctx)
	switch {
	case err == nil:
		pos := b.last
		for _, i := range pending {
			r := b.batch[i]
			pos += int64(len(r.Events))
			b.resps[i] = groupcommit.Response{Res: eventstore.AppendResult{
				NextExpected: r.Events[len(r.Events)-1].Revision, LastPosition: uint64(pos)}}
			b.written++
		}
		b.last = pos
		return nil
	case isConstraint(err):
		// The heads the pending requests promised were not written.
		for _, i := range pending {
			delete(b.heads, b.batch[i].Stream)
		}
		for _, i := range pending {
			if err := b.applyOne(i); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("insert %d rows: %w", pos-b.last, err)
	}
}

// applyOne checks and writes request i alone and sets its answer.
func (b *batchTx) applyOne(i int) error {
	r := b.batch[i]
	res, reqErr, fatal := b.apply(r)
	if fatal != nil {
		return fatal
	}
	b.resps[i] = groupcommit.Response{Res: res, Err: reqErr}
	if reqErr == nil && !res.Duplicate {
		b.written++
		b.heads[r.Stream] = res.NextExpected
	}
	return nil
}

// apply checks and writes one request. reqErr is the request's own failure
// (the transaction is unchanged by it); fatal means the transaction is no
// longer usable and the whole batch must fail.
//
// It costs one statement per event: the first event's INSERT carries the
// revision check, and only an append that inserts nothing pays for reading
// the stream head and explaining why. It writes the requests add cannot
// judge without a read, and those whose multi-row INSERT collided.
func (b *batchTx) apply(r *groupcommit.Request) (res eventstore.AppendResult, reqErr, fatal error) {
	first := r.Events[0].Revision
	if !appendcheck.RevisionsFrom(r.Events, first) || !appendcheck.Consistent(r.Expected, first) {
		// No stream state could accept this, but it may be a retry.
		return b.reject(r)
	}

	// A single INSERT that fails is undone by SQLite on its own; a multi-event
	// append needs a savepoint so a failure half-way leaves nothing behind.
	multi := len(r.Events) > 1
	if multi {
		if _, err := b.savepoint.ExecContext(b.ctx); err != nil {
			return res, nil, fmt.Errorf("savepoint: %w", err)
		}
	}
	undo := func() error {
		if !multi {
			return nil
		}
		if _, err := b.rollbackTo.ExecContext(b.ctx); err != nil {
			return fmt.Errorf("rollback to savepoint: %w", err)
		}
		if _, err := b.release.ExecContext(b.ctx); err != nil {
			return fmt.Errorf("release savepoint: %w", err)
		}
		return nil
	}

	pos := b.last
	for i, e := range r.Events {
		pos++
		insert := b.insert
		if i == 0 {
			// Inserts only if the stream's last revision is first-1 (none
			// for first = 0).
			insert = b.insertIfHead
		}
		if _, err := insert.ExecContext(b.ctx, pos, e.ID[:], r.Stream, int64(e.Revision), e.Type, e.Data); err != nil {
			if undoErr := undo(); undoErr != nil {
				return res, nil, errors.Join(err, undoErr)
			}
			if !isConstraint(err) {
				return res, nil, fmt.Errorf("insert: %w", err)
			}
			// The stream is not where the append expects it, or an ID is
			// already on record: reject explains which (or finds a retry).
			res, reqErr, fatal = b.reject(r)
			if fatal == nil && reqErr == nil && !res.Duplicate {
				return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", r.Stream, err), nil
			}
			return res, reqErr, fatal
		}
	}
	if multi {
		if _, err := b.release.ExecContext(b.ctx); err != nil {
			return res, nil, fmt.Errorf("release savepoint: %w", err)
		}
	}
	b.last = pos
	return eventstore.AppendResult{NextExpected: r.Events[len(r.Events)-1].Revision, LastPosition: uint64(pos)}, nil, nil
}

// reject reads the stream head and explains why r cannot be written, which
// may turn out to be an idempotent retry.
func (b *batchTx) reject(r *groupcommit.Request) (res eventstore.AppendResult, reqErr, fatal error) {
	head, err := b.streamHead(r.Stream)
	if err != nil {
		return res, nil, err
	}
	res, reqErr, fatal = appendcheck.Explain(r.Stream, r.Expected, r.Events, head, b.lookup)
	if reqErr == nil && fatal == nil && !res.Duplicate {
		fatal = fmt.Errorf("append %s: check failed but no reason found", r.Stream)
	}
	return res, reqErr, fatal
}

// lookup is an appendcheck.Lookup inside the batch's transaction: it sees
// the batch's earlier inserts.
func (b *batchTx) lookup(id uuid.UUID) (appendcheck.Place, bool, error) {
	var (
		stream   string
		rev, pos int64
	)
	switch err := b.byID.QueryRowContext(b.ctx, id[:]).Scan(&stream, &rev, &pos); {
	case errors.Is(err, sql.ErrNoRows):
		return appendcheck.Place{}, false, nil
	case err != nil:
		return appendcheck.Place{}, false, err
	}
	return appendcheck.Place{Stream: stream, Revision: uint64(rev), Position: uint64(pos)}, true, nil
}

// streamHead returns the stream's head, read inside the batch's transaction.
func (b *batchTx) streamHead(stream string) (appendcheck.Head, error) {
	var rev int64
	switch err := b.head.QueryRowContext(b.ctx, stream).Scan(&rev); {
	case errors.Is(err, sql.ErrNoRows):
		return appendcheck.Head{}, nil
	case err != nil:
		return appendcheck.Head{}, fmt.Errorf("read head of %s: %w", stream, err)
	}
	return appendcheck.Head{Last: uint64(rev), Exists: true}, nil
}

// isConstraint reports a constraint violation, which aborts only the failing
// statement, not the transaction.
func isConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}
