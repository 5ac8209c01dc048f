package postgresaudit

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/eventstore"
)

// ReadAll reads the event store's table directly, in position order,
// returning up to limit events (all for limit <= 0) with Position > after.
// Unlike the event store's ReadAll it does not refuse a log with missing
// positions: an auditor wants to be shown the gap, not an error. Nor does
// it refuse an event whose columns disagree with its data
// (eventstore.ErrCorrupt): the verifier reports each one
// (audit.CheckColumnMismatch) and goes on.
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	var lim any // NULL: no limit
	if limit > 0 {
		lim = limit
	}
	rows, err := s.pool.Query(ctx, s.t.expand(`SELECT position, id, stream, revision, type, data FROM {events} WHERE position > $1 ORDER BY position LIMIT $2`), int64(after), lim)
	if err != nil {
		return nil, fmt.Errorf("read events after %d: %w", after, err)
	}
	defer rows.Close()
	var out []eventstore.RecordedEvent
	for rows.Next() {
		var (
			pos, rev    int64
			id          [16]byte
			stream, typ string
			data        []byte
		)
		if err := rows.Scan(&pos, &id, &stream, &rev, &typ, &data); err != nil {
			return nil, fmt.Errorf("read events after %d: %w", after, err)
		}
		out = append(out, eventstore.RecordedEvent{Position: uint64(pos), ID: uuid.UUID(id), Stream: stream,
			Revision: uint64(rev), Type: typ, Data: data})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events after %d: %w", after, err)
	}
	return out, nil
}

var _ audit.StrayReader = (*Store)(nil)

// EventsOutsideLog returns the events stored at position 0 or below, or at
// none (NULL, reported as NoPosition), which no ReadAll reaches (audit.StrayReader).
// The table's CHECK (position > 0) and PRIMARY KEY keep them out unless an
// operator dropped them.
func (s *Store) EventsOutsideLog(ctx context.Context) ([]audit.StrayEvent, error) {
	rows, err := s.pool.Query(ctx, s.t.expand(`SELECT coalesce(position, 0), position IS NULL, stream, revision FROM {events}
		WHERE position <= 0 OR position IS NULL ORDER BY position NULLS LAST`))
	if err != nil {
		return nil, fmt.Errorf("read events outside the log: %w", err)
	}
	defer rows.Close()
	out, err := audit.ReadRows(rows, func(scan func(...any) error) (audit.StrayEvent, error) {
		var (
			e   audit.StrayEvent
			rev int64
		)
		err := scan(&e.Position, &e.NoPosition, &e.Stream, &rev)
		e.Revision = uint64(rev)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read events outside the log: %w", err)
	}
	return out, nil
}
