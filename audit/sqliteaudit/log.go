package sqliteaudit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/eventstore"
)

var (
	_ audit.Log         = (*Store)(nil)
	_ audit.StrayReader = (*Store)(nil)
)

// strayQuery finds the rows a stream read and ReadAll see differently: at
// position 0 or below (no ReadAll reaches them), or with a stream, type or
// revision of another storage class than the table declares (a STRICT
// table refuses those, but an operator can edit the schema text). It reads
// the whole table, as verify does anyway.
const strayQuery = `SELECT position, CAST(stream AS TEXT), CAST(revision AS INTEGER),
	CASE WHEN typeof(stream) <> 'text' THEN 'stream ' || typeof(stream)
	     WHEN typeof(type) <> 'text' THEN 'type ' || typeof(type)
	     WHEN typeof(revision) <> 'integer' THEN 'revision ' || typeof(revision)
	     ELSE '' END
	FROM events
	WHERE position <= 0 OR typeof(stream) <> 'text' OR typeof(type) <> 'text' OR typeof(revision) <> 'integer'
	ORDER BY position`

// EventsOutsideLog returns the rows of strayQuery (audit.StrayReader).
func (s *Store) EventsOutsideLog(ctx context.Context) (_ []audit.StrayEvent, err error) {
	rows, err := s.db.QueryContext(ctx, strayQuery)
	if err != nil {
		return nil, fmt.Errorf("read events outside the log: %w", err)
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	out, err := audit.ReadRows(rows, func(scan func(...any) error) (audit.StrayEvent, error) {
		var (
			e   audit.StrayEvent
			rev int64
		)
		err := scan(&e.Position, &e.Stream, &rev, &e.StorageClass)
		e.Revision = uint64(rev)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read events outside the log: %w", err)
	}
	return out, nil
}

const readAllQuery = `SELECT position, id, stream, revision, type, data FROM events WHERE position > ? ORDER BY position LIMIT ?`

// ReadAll reads the events table directly, in position order, returning up
// to limit events (all for limit <= 0) with Position > after. Unlike the
// event store's ReadAll it does not refuse a log with missing positions: an
// auditor wants to be shown the gap, not an error. Nor does it refuse an
// event whose columns disagree with its data (eventstore.ErrCorrupt): the
// verifier reports each one (audit.CheckColumnMismatch) and goes on.
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) (_ []eventstore.RecordedEvent, err error) {
	if limit <= 0 {
		limit = -1
	}
	var rows *sql.Rows
	if s.readAll != nil {
		rows, err = s.readAll.QueryContext(ctx, int64(after), limit)
	} else {
		rows, err = s.db.QueryContext(ctx, readAllQuery, int64(after), limit)
	}
	if err != nil {
		return nil, fmt.Errorf("read events after %d: %w", after, err)
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	var (
		out   []eventstore.RecordedEvent
		slab  []byte // one allocation holds many events' data
		names = map[string]string{}
	)
	if limit > 0 {
		out = make([]eventstore.RecordedEvent, 0, limit)
	}
	for rows.Next() {
		var (
			pos, rev                 int64
			rawID, stream, typ, data sql.RawBytes
		)
		if err := rows.Scan(&pos, &rawID, &stream, &rev, &typ, &data); err != nil {
			return nil, fmt.Errorf("read events after %d: %w", after, err)
		}
		if len(data) > cap(slab)-len(slab) {
			slab = make([]byte, 0, max(1<<20, len(data)))
		}
		start := len(slab)
		slab = append(slab, data...)
		e := eventstore.RecordedEvent{Position: uint64(pos), Stream: intern(names, stream), Revision: uint64(rev), Type: intern(names, typ),
			Data: slab[start:len(slab):len(slab)]}
		// A mangled id is the verifier's business (it checks the columns
		// against the hashed data), not a reason to stop reading.
		e.ID, _ = uuid.FromBytes(rawID)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events after %d: %w", after, err)
	}
	return out, nil
}

// intern shares one string among the repeated stream and type values of a
// read.
func intern(names map[string]string, b []byte) string {
	if s, ok := names[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	names[s] = s
	return s
}
