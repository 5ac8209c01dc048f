package kurrentdb

import (
	"context"
	"errors"
	"fmt"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/google/uuid"
)

// Append implements eventstore.Store. See the package doc for how the
// port's rules map onto the server's expected revisions and idempotency.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) (eventstore.AppendResult, error) {
	res, err := s.append(ctx, stream, expected, events)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
	}
	return res, nil
}

func (s *Store) append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, err
	}
	if s.isClosed() {
		return eventstore.AppendResult{}, ErrClosed
	}
	ids, err := checkAppend(stream, events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	release, err := s.inflight.acquire(ctx, ids)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	defer release()

	if res, err, done := s.known(stream, events); done {
		return res, err
	}
	first := events[0].Revision
	if !expectedAllows(expected, first) || !consecutive(events) {
		return eventstore.AppendResult{}, s.conflict(ctx, stream, expected, events)
	}

	// The server checks the revision the events carry, whatever expected
	// says: Any too is sent as that exact revision, so that a write the
	// port would refuse never lands, and idempotency is guaranteed.
	var want esdb.ExpectedRevision = esdb.NoStream{}
	if first > 0 {
		want = esdb.Revision(first - 1)
	}
	data := make([]esdb.EventData, len(events))
	for i, e := range events {
		data[i] = s.toEventData(e)
	}
	indexed := s.idx.len()
	_, err = s.client.AppendToStream(ctx, s.streamName(stream), esdb.AppendToStreamOptions{ExpectedRevision: want}, data...)
	switch {
	case esdbCode(err) == esdb.ErrorCodeWrongExpectedVersion:
		return s.retryOrConflict(ctx, stream, expected, events)
	case err != nil:
		return eventstore.AppendResult{}, s.opErr(ctx, err)
	}

	res, err := s.result(ctx, stream, events)
	if err != nil {
		return res, fmt.Errorf("appended, but: %w", err)
	}
	// An event the index had before the append was sent is one the server
	// took as a retry of an earlier append from elsewhere.
	res.Duplicate = res.LastPosition <= indexed
	return res, nil
}

// checkAppend rejects appends that no stream state could accept and
// returns the event ids.
func checkAppend(stream string, events []eventstore.EventData) ([]uuid.UUID, error) {
	if stream == "" {
		return nil, errors.New("empty stream name")
	}
	if len(events) == 0 {
		return nil, errors.New("no events")
	}
	ids := make([]uuid.UUID, len(events))
	seen := make(map[uuid.UUID]struct{}, len(events))
	for i, e := range events {
		if e.ID == uuid.Nil {
			return nil, fmt.Errorf("event %d: nil id", i)
		}
		if e.Type == "" {
			return nil, fmt.Errorf("event %d: KurrentDB requires an event type", i)
		}
		if _, dup := seen[e.ID]; dup {
			return nil, fmt.Errorf("event %d: id %s repeated in the batch: %w", i, e.ID, eventstore.ErrDuplicateID)
		}
		seen[e.ID] = struct{}{}
		ids[i] = e.ID
	}
	return ids, nil
}

// known decides the append from the index alone when any of its ids is
// already stored: an id elsewhere is ErrDuplicateID, all ids where the
// events say is an idempotent retry, some of them is a conflict (the stream
// has moved past the retried prefix). done is false when no id is known.
func (s *Store) known(stream string, events []eventstore.EventData) (res eventstore.AppendResult, err error, done bool) {
	found := 0
	var lastPos uint64
	for _, e := range events {
		pos, at, ok := s.idx.lookup(e.ID)
		if !ok {
			continue
		}
		if at.stream != stream || at.revision != e.Revision {
			return res, fmt.Errorf("event %s at revision %d is stored in %s at revision %d: %w",
				e.ID, e.Revision, at.stream, at.revision, eventstore.ErrDuplicateID), true
		}
		found++
		lastPos = pos
	}
	switch {
	case found == 0:
		return res, nil, false
	case found == len(events):
		last := events[len(events)-1]
		return eventstore.AppendResult{NextExpected: last.Revision, LastPosition: lastPos, Duplicate: true}, nil, true
	default:
		return res, fmt.Errorf("%d of %d events are stored already, the rest are not: %w", found, len(events), eventstore.ErrConcurrency), true
	}
}

// retryOrConflict explains a wrong expected version from the server: the
// events may all be in the stream already (a retry of an append whose
// answer was lost, possibly from another process the index has not caught
// up with), else it is a conflict.
func (s *Store) retryOrConflict(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) (eventstore.AppendResult, error) {
	stored, err := s.readRaw(ctx, stream, events[0].Revision, len(events))
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if len(stored) == len(events) {
		same := true
		for i := range events {
			same = same && stored[i].EventID == events[i].ID
		}
		if same {
			res, err := s.result(ctx, stream, events)
			res.Duplicate = true
			return res, err
		}
	}
	return eventstore.AppendResult{}, s.conflict(ctx, stream, expected, events)
}

// result describes the events as stored, once the index has them.
func (s *Store) result(ctx context.Context, stream string, events []eventstore.EventData) (eventstore.AppendResult, error) {
	last := events[len(events)-1]
	pos, err := s.waitFor(ctx, last.ID, stream, last.Revision)
	if err != nil {
		return eventstore.AppendResult{}, s.opErr(ctx, err)
	}
	return eventstore.AppendResult{NextExpected: last.Revision, LastPosition: pos}, nil
}
