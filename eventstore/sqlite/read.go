package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/sqlread"
	"github.com/google/uuid"
)

// readStmts are prepared on the read pool; database/sql prepares each one
// lazily on every pooled connection that runs it.
type readStmts struct {
	forward  *sql.Stmt
	backward *sql.Stmt
	all      *sql.Stmt
	exists   *sql.Stmt
}

func (r *readStmts) prepare(ctx context.Context, db *sql.DB) error {
	return prepareAll(ctx, db,
		stmt{&r.forward, `SELECT position, id, revision, type, data FROM events
			WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`},
		stmt{&r.backward, `SELECT position, id, revision, type, data FROM events
			WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`},
		// Positions are committed in order by the single writer, so any
		// snapshot this query reads holds a gap-free prefix of the log:
		// "position > after" cannot skip one that commits later.
		stmt{&r.all, `SELECT position, id, stream, revision, type, data FROM events
			WHERE position > ? ORDER BY position LIMIT ?`},
		stmt{&r.exists, `SELECT EXISTS (SELECT 1 FROM events WHERE stream = ?)`},
	)
}

func (r *readStmts) close() error {
	return closeAll(r.forward, r.backward, r.all, r.exists)
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.RecordedEvent, error) {
	evs, err := s.readStream(ctx, s.r.forward, stream, from, limit)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	return evs, nil
}

// ReadStreamBackward implements eventstore.Store.
func (s *Store) ReadStreamBackward(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.RecordedEvent, error) {
	evs, err := s.readStream(ctx, s.r.backward, stream, from, limit)
	if err != nil {
		return nil, fmt.Errorf("read stream %s backward: %w", stream, err)
	}
	return evs, nil
}

func (s *Store) readStream(ctx context.Context, stmt *sql.Stmt, stream string, from uint64, limit int) ([]eventstore.RecordedEvent, error) {
	if err := sqlread.Usable(ctx, s.done, ErrClosed); err != nil {
		return nil, err
	}
	// A stream read runs to its end once started: it is one indexed range
	// of one ticket's rows, and in WAL mode it holds nothing a writer
	// waits for, so there is nothing worth interrupting. Given a context
	// that can end, database/sql would start a goroutine per query (and
	// one per read transaction) to close it when the context ends, and the
	// driver another per statement to interrupt SQLite: about 10 µs of a
	// command's load, whose context always has a deadline (the HTTP API's
	// CommandTimeout). ctx is still checked above, before any work, and by
	// scanStream every streamCheckEvery rows, so a ticket grown long is no
	// read a hung-up caller cannot stop.
	ctx, caller := context.WithoutCancel(ctx), ctx
	evs, err := scanStream(ctx, caller, stmt, stream, from, limit)
	if err != nil || len(evs) > 0 {
		return evs, err
	}
	if stmt == s.r.forward && from == 0 {
		// A stream's revisions start at 0, so a read from its start that
		// finds nothing, in one snapshot, found no stream: the write path's
		// load of a ticket yet to be opened costs one query, not four.
		return evs, eventstore.ErrStreamNotFound
	}
	// Empty: tell a missing stream from a range past its end. Both queries
	// must see one snapshot, or a stream created in between would come back
	// as neither missing nor holding events.
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() // read-only: there is nothing to undo, and no error to act on
	if evs, err = scanStream(ctx, caller, tx.StmtContext(ctx, stmt), stream, from, limit); err != nil || len(evs) > 0 {
		return evs, err
	}
	var exists bool
	if err := tx.StmtContext(ctx, s.r.exists).QueryRowContext(ctx, stream).Scan(&exists); err != nil {
		return nil, err
	}
	if !exists {
		return evs, eventstore.ErrStreamNotFound
	}
	return evs, nil
}

// streamCheckEvery is how many rows a stream or log read scans between
// looks at its caller's context.
const streamCheckEvery = 256

// scanStream runs one of the stream range queries under ctx, and gives up
// with caller's error once caller has ended, checked every
// streamCheckEvery rows.
func scanStream(ctx, caller context.Context, stmt *sql.Stmt, stream string, from uint64, limit int) ([]eventstore.RecordedEvent, error) {
	rows, err := stmt.QueryContext(ctx, stream, sqlread.ClampInt64(from), sqlLimit(limit))
	if err != nil {
		return nil, err
	}
	// Made at the first row: the write path's load of a ticket about to
	// be opened finds none, and would allocate the list for nothing.
	var evs []eventstore.RecordedEvent
	var (
		rawID, data sql.RawBytes
		pos, rev    int64
		buf         slab
	)
	for rows.Next() {
		if evs == nil {
			evs = make([]eventstore.RecordedEvent, 0, sqlread.InitialCap(limit))
		} else if len(evs)%streamCheckEvery == 0 {
			if err := caller.Err(); err != nil {
				return nil, errors.Join(err, rows.Close())
			}
		}
		e := eventstore.RecordedEvent{Stream: stream}
		if err := rows.Scan(&pos, &rawID, &rev, &e.Type, &data); err != nil {
			return nil, errors.Join(err, rows.Close())
		}
		if err := eventstore.CheckPosition(stream, uint64(rev), pos); err != nil {
			return nil, errors.Join(err, rows.Close())
		}
		e.Data = buf.copy(data)
		if e.ID, err = uuid.FromBytes(rawID); err != nil {
			return nil, errors.Join(fmt.Errorf("position %d: %w", pos, err), rows.Close())
		}
		e.Position, e.Revision = uint64(pos), uint64(rev)
		if err := eventstore.CheckColumns(&e); err != nil {
			return nil, errors.Join(err, rows.Close())
		}
		evs = append(evs, e)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	if evs == nil {
		evs = []eventstore.RecordedEvent{} // empty, as before; allocates nothing
	}
	return evs, nil
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	evs, err := s.readAll(ctx, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read all after %d: %w", after, err)
	}
	return evs, nil
}

func (s *Store) readAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	if err := sqlread.Usable(ctx, s.done, ErrClosed); err != nil {
		return nil, err
	}
	// As a stream read does (see readStream), the query runs under a
	// context that never ends, and the caller's is looked at every
	// streamCheckEvery rows: a cancellable one would cost a goroutine of
	// database/sql's and one of the driver's per read, started and woken
	// again at its end, and a follower reads the log in chunks of 1,024
	// events on the goroutine everything else waits for.
	ctx, caller := context.WithoutCancel(ctx), ctx
	rows, err := s.r.all.QueryContext(ctx, sqlread.ClampInt64(after), sqlLimit(limit))
	if err != nil {
		return nil, err
	}
	evs := make([]eventstore.RecordedEvent, 0, sqlread.InitialCap(limit))
	var (
		pos, rev                 int64
		rawID, stream, typ, data sql.RawBytes
		e                        eventstore.RecordedEvent
		buf                      slab
		names                    sqlread.Interner
		gapless                  = sqlread.GaplessAfter(after)
	)
	for rows.Next() {
		if len(evs)%streamCheckEvery == 0 && len(evs) > 0 {
			if err := caller.Err(); err != nil {
				return nil, errors.Join(err, rows.Close())
			}
		}
		e = eventstore.RecordedEvent{}
		if err := rows.Scan(&pos, &rawID, &stream, &rev, &typ, &data); err != nil {
			return nil, errors.Join(err, rows.Close())
		}
		e.Data = buf.copy(data)
		if err := gapless.Check(uint64(pos)); err != nil {
			// Cannot happen while only this package writes the table.
			return nil, errors.Join(err, rows.Close())
		}
		if e.ID, err = uuid.FromBytes(rawID); err != nil {
			return nil, errors.Join(fmt.Errorf("position %d: %w", pos, err), rows.Close())
		}
		e.Stream, e.Type = names.Get(stream), names.Get(typ)
		e.Position, e.Revision = uint64(pos), uint64(rev)
		if err := eventstore.CheckColumns(&e); err != nil {
			return nil, errors.Join(err, rows.Close())
		}
		evs = append(evs, e)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	if evs == nil {
		evs = []eventstore.RecordedEvent{} // empty, as before; allocates nothing
	}
	return evs, nil
}

// slab copies event data into shared chunks: a few allocations per read
// instead of one per event. Chunks start small, for short stream reads, and
// double up to 64 KiB, for log scans. Each copy's capacity ends where it
// does, so an append to one event's Data reallocates rather than
// overwriting the next. An event kept alive keeps its chunk alive.
type slab struct {
	buf  []byte
	next int // size of the next chunk
}

const (
	slabFirst = 4 << 10
	slabMax   = 64 << 10
)

func (s *slab) copy(b []byte) []byte {
	if len(b) > cap(s.buf)-len(s.buf) {
		size := max(s.next, slabFirst)
		s.next = min(2*size, slabMax)
		s.buf = make([]byte, 0, max(size, len(b)))
	}
	start := len(s.buf)
	s.buf = append(s.buf, b...)
	return s.buf[start:len(s.buf):len(s.buf)]
}

// sqlLimit maps "limit <= 0 means all" to SQLite's LIMIT -1.
func sqlLimit(limit int) int64 {
	if limit <= 0 {
		return -1
	}
	return int64(limit)
}
