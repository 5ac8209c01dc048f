package kurrentdb

import (
	"context"
	"errors"
	"fmt"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/appendcheck"
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

	if res, done, err := s.known(stream, events); done {
		return res, err
	}
	first := events[0].Revision
	if !appendcheck.Consistent(expected, first) || !appendcheck.RevisionsFrom(events, first) {
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
		// Not a retry: the server answers a retry sent at the same
		// revision (which the events fix) with success.
		return eventstore.AppendResult{}, s.conflict(ctx, stream, expected, events)
	case err != nil:
		return eventstore.AppendResult{}, s.opErr(ctx, err)
	}

	res, err := s.result(ctx, stream, events)
	if err != nil {
		return res, fmt.Errorf("appended, but: %w", err)
	}
	// The server answers a retry at the same revision with success, as if
	// it wrote: if the index had the events before this append was sent,
	// that is what happened. A retry racing its first attempt from another
	// process, before the index saw it, is reported as a fresh write (with
	// the right positions all the same).
	res.Duplicate = res.LastPosition <= indexed
	return res, nil
}

// rules are the port's, and the server's need for an event type.
var rules = appendcheck.Rules{
	Event: func(e eventstore.EventData) error {
		if e.Type == "" {
			return errors.New("KurrentDB requires an event type")
		}
		return nil
	},
}

// checkAppend rejects appends that no stream state could accept and
// returns the event ids.
func checkAppend(stream string, events []eventstore.EventData) ([]uuid.UUID, error) {
	if err := rules.Check(stream, events); err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	return ids, nil
}

// known decides the append from the index alone when any of its ids is
// already stored: an id elsewhere is ErrDuplicateID, all ids where the
// events say is an idempotent retry, some of them is a conflict (the stream
// has moved past the retried prefix). done is false when no id is known.
func (s *Store) known(stream string, events []eventstore.EventData) (res eventstore.AppendResult, done bool, err error) {
	k, err, _ := appendcheck.FindStored(stream, events, s.idx.place) // the index never fails to look
	switch {
	case err != nil:
		return res, true, err
	case k.Count == 0:
		return res, false, nil
	case k.Count == len(events):
		return k.Retry(events), true, nil
	default:
		return res, true, fmt.Errorf("%d of %d events are stored already, the rest are not: %w", k.Count, len(events), eventstore.ErrConcurrency)
	}
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
