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

var _ audit.Log = (*Store)(nil)

const readAllQuery = `SELECT position, id, data FROM events WHERE position > ? ORDER BY position LIMIT ?`

// ReadAll reads the events table directly, in position order, returning up
// to limit events (all for limit <= 0) with Position > after. Unlike the
// event store's ReadAll it does not refuse a log with missing positions: an
// auditor wants to be shown the gap, not an error. Only Position, ID and
// Data are read: verification trusts nothing but Position and Data, and
// proofs look events up by ID.
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
		out  []eventstore.RecordedEvent
		slab []byte // one allocation holds many events' data
	)
	if limit > 0 {
		out = make([]eventstore.RecordedEvent, 0, limit)
	}
	for rows.Next() {
		var (
			pos         int64
			rawID, data sql.RawBytes
		)
		if err := rows.Scan(&pos, &rawID, &data); err != nil {
			return nil, fmt.Errorf("read events after %d: %w", after, err)
		}
		if len(data) > cap(slab)-len(slab) {
			slab = make([]byte, 0, max(1<<20, len(data)))
		}
		start := len(slab)
		slab = append(slab, data...)
		e := eventstore.RecordedEvent{Position: uint64(pos), Data: slab[start:len(slab):len(slab)]}
		// A mangled id is the verifier's business (it reads ids from the
		// hashed data), not a reason to stop reading.
		e.ID, _ = uuid.FromBytes(rawID)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events after %d: %w", after, err)
	}
	return out, nil
}
