package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/disputes-ledger/disputes/eventstore"
)

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.RecordedEvent, error) {
	evs, err := s.readStream(ctx, stream, esdb.Forwards, esdb.Revision(from), limit)
	if err != nil {
		return evs, fmt.Errorf("read %s from %d: %w", stream, from, err)
	}
	return evs, nil
}

// ReadStreamBackward implements eventstore.Store.
func (s *Store) ReadStreamBackward(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.RecordedEvent, error) {
	var start esdb.StreamPosition = esdb.Revision(from)
	if from == math.MaxUint64 {
		start = esdb.End{}
	}
	evs, err := s.readStream(ctx, stream, esdb.Backwards, start, limit)
	if err != nil {
		return evs, fmt.Errorf("read %s backwards from %d: %w", stream, from, err)
	}
	return evs, nil
}

// readStream reads a stream and gives each event its global position from
// the index, waiting for the index if the events are newer than it.
func (s *Store) readStream(ctx context.Context, stream string, dir esdb.Direction, from esdb.StreamPosition, limit int) ([]eventstore.RecordedEvent, error) {
	out := []eventstore.RecordedEvent{}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	if s.isClosed() {
		return out, ErrClosed
	}
	count := uint64(math.MaxInt64) // the server's "all"
	if limit > 0 {
		count = uint64(limit)
	}
	if r, ok := from.(esdb.StreamRevision); ok && dir == esdb.Forwards && r.Value > math.MaxInt64 {
		return out, nil // past any stream's end; the server takes such values as "end"
	}
	rs, err := s.client.ReadStream(ctx, s.streamName(stream), esdb.ReadStreamOptions{Direction: dir, From: from}, count)
	if err != nil {
		return out, s.opErr(ctx, err)
	}
	defer rs.Close()
	for {
		re, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if esdbCode(err) == esdb.ErrorCodeResourceNotFound {
			return []eventstore.RecordedEvent{}, eventstore.ErrStreamNotFound
		}
		if err != nil {
			return out, s.opErr(ctx, err)
		}
		e := re.OriginalEvent()
		le, ok := s.decode(e)
		if !ok {
			return out, fmt.Errorf("event %s at revision %d was not written by this store", e.EventID, e.EventNumber)
		}
		// Checked before waiting for a position: a corrupt event must fail
		// the read, not wait for an index entry.
		if err := eventstore.CheckColumns(&le); err != nil {
			return nil, err
		}
		out = append(out, le)
	}
	for i := range out {
		pos, err := s.waitFor(ctx, out[i].ID, out[i].Stream, out[i].Revision)
		if err != nil {
			return nil, s.opErr(ctx, err)
		}
		out[i].Position = pos
	}
	return out, nil
}

// ReadAll implements eventstore.Store. It reads $all from the $all position
// the index has for after and numbers the store's events by counting on
// from there, up to limit or the end of $all: it sees everything committed
// when it reads, not just what the index has reached, and since $all only
// ever grows at its end it never skips a position.
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	out := []eventstore.RecordedEvent{}
	if err := ctx.Err(); err != nil {
		return out, fmt.Errorf("read all after %d: %w", after, err)
	}
	if s.isClosed() {
		return out, fmt.Errorf("read all after %d: %w", after, ErrClosed)
	}
	cp := s.checkpointAtOrBefore(after)
	want := uint64(math.MaxUint64)
	if limit > 0 {
		want = uint64(limit)
	}
	out, err := s.readAllFrom(ctx, cp, after, want)
	if err != nil {
		return out, fmt.Errorf("read all after %d: %w", after, s.opErr(ctx, err))
	}
	return out, nil
}

// readAllFrom counts the store's events in $all after cp and returns up to
// want of those after skip.
func (s *Store) readAllFrom(ctx context.Context, cp Checkpoint, skip, want uint64) ([]eventstore.RecordedEvent, error) {
	out := []eventstore.RecordedEvent{}
	from, pos, last := cp.allPosition(), cp.Position, cp.pos()
	started := cp.Position > 0 // from then on, skip what is not after last
	for uint64(len(out)) < want {
		// +1: a read from a position may repeat the event at it.
		batch := uint64(s.cfg.ReadBatch)
		if rest := want - uint64(len(out)); pos >= skip && rest < batch {
			batch = rest + 1
		}
		rs, err := s.client.ReadAll(ctx, esdb.ReadAllOptions{From: from}, batch)
		if err != nil {
			return out, err
		}
		sent := uint64(0)
		for uint64(len(out)) < want {
			re, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rs.Close()
				return out, err
			}
			sent++
			e := re.OriginalEvent()
			if started && !after(e.Position, last) {
				continue
			}
			last, started = e.Position, true
			le, ok := s.decode(e)
			if !ok {
				continue
			}
			pos++
			if known, ok := s.idx.at(pos); ok && known.id != le.ID {
				rs.Close()
				return out, fmt.Errorf("$all has event %s at position %d, the index has %s", le.ID, pos, known.id)
			}
			if pos <= skip {
				continue
			}
			le.Position = pos
			if err := eventstore.CheckColumns(&le); err != nil {
				rs.Close()
				return out, err
			}
			out = append(out, le)
		}
		rs.Close()
		if sent < batch {
			return out, nil // the end of $all
		}
		from = last
	}
	return out, nil
}
