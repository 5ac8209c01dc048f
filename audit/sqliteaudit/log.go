package sqliteaudit

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/eventstore"
)

var _ audit.Log = (*Store)(nil)

// ReadAll reads the events table directly, in position order, returning up
// to limit events (all for limit <= 0) with Position > after. Unlike the
// event store's ReadAll it does not refuse a log with missing positions: an
// auditor wants to be shown the gap, not an error. Only Position, ID,
// Stream, Revision, Type and Data are read; verification trusts nothing but
// Position and Data.
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) (_ []eventstore.RecordedEvent, err error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT position, id, stream, revision, type, data FROM events
		WHERE position > ? ORDER BY position LIMIT ?`, int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("read events after %d: %w", after, err)
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	var out []eventstore.RecordedEvent
	for rows.Next() {
		var (
			e     eventstore.RecordedEvent
			pos   int64
			rawID []byte
		)
		if err := rows.Scan(&pos, &rawID, &e.Stream, &e.Revision, &e.Type, &e.Data); err != nil {
			return nil, fmt.Errorf("read events after %d: %w", after, err)
		}
		e.Position = uint64(pos)
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
