package postgres

import (
	"context"
	"fmt"
	"math"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/sqlread"
)

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.RecordedEvent, error) {
	evs, err := s.readStream(ctx, s.q.forward, stream, from, limit, sqlread.ClampInt64(from), math.MaxInt64)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	return evs, nil
}

// ReadStreamBackward implements eventstore.Store.
func (s *Store) ReadStreamBackward(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.RecordedEvent, error) {
	evs, err := s.readStream(ctx, s.q.backward, stream, from, limit, 0, sqlread.ClampInt64(from))
	if err != nil {
		return nil, fmt.Errorf("read stream %s backward: %w", stream, err)
	}
	return evs, nil
}

// readStream runs a range query; lo..hi is the revision range it covers, used
// to tell a missing stream from an empty range.
func (s *Store) readStream(ctx context.Context, query, stream string, from uint64, limit int, lo, hi int64) ([]eventstore.RecordedEvent, error) {
	if err := sqlread.Usable(ctx, s.done, ErrClosed); err != nil {
		return nil, err
	}
	evs, err := s.scanStream(ctx, query, stream, from, limit)
	if err != nil || len(evs) > 0 {
		return evs, err
	}
	// Empty: tell a missing stream from a range past its end, in one
	// snapshot. If events of the range committed since the read above, the
	// log only grows, so reading again finds them.
	var exists, inRange bool
	if err := s.pool.QueryRow(ctx, s.q.streamState, stream, lo, hi).Scan(&exists, &inRange); err != nil {
		return nil, err
	}
	switch {
	case inRange:
		return s.scanStream(ctx, query, stream, from, limit)
	case !exists:
		return evs, eventstore.ErrStreamNotFound
	default:
		return evs, nil
	}
}

func (s *Store) scanStream(ctx context.Context, query, stream string, from uint64, limit int) ([]eventstore.RecordedEvent, error) {
	rows, err := s.pool.Query(ctx, query, stream, sqlread.ClampInt64(from), sqlLimit(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	evs := make([]eventstore.RecordedEvent, 0, sqlread.InitialCap(limit))
	for rows.Next() {
		e := eventstore.RecordedEvent{Stream: stream}
		if err := decodeRow(rows.RawValues(), rows.FieldDescriptions(), &e, nil); err != nil {
			return nil, err
		}
		// The table's CHECK (position > 0) keeps a row outside the log out,
		// unless an operator dropped it; no log read or seal reaches it.
		if err := eventstore.CheckPosition(stream, e.Revision, int64(e.Position)); err != nil {
			return nil, err
		}
		if err := eventstore.CheckColumns(&e); err != nil {
			return nil, err
		}
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
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
	rows, err := s.pool.Query(ctx, s.q.all, sqlread.ClampInt64(after), sqlLimit(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	evs := make([]eventstore.RecordedEvent, 0, sqlread.InitialCap(limit))
	var names sqlread.Interner
	gapless := sqlread.GaplessAfter(after)
	for rows.Next() {
		var e eventstore.RecordedEvent
		if err := decodeRow(rows.RawValues(), rows.FieldDescriptions(), &e, &names); err != nil {
			return nil, err
		}
		if err := gapless.Check(e.Position); err != nil {
			// Cannot happen while writers follow the head lock.
			return nil, err
		}
		if err := eventstore.CheckColumns(&e); err != nil {
			return nil, err
		}
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return evs, nil
}

// sqlLimit maps "limit <= 0 means all" to LIMIT NULL.
func sqlLimit(limit int) *int64 {
	if limit <= 0 {
		return nil
	}
	l := int64(limit)
	return &l
}
