package appendcheck

import (
	"fmt"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/google/uuid"
)

// Place is where an event ID is stored.
type Place struct {
	Stream   string
	Revision uint64
	Position uint64
}

// Lookup reports where id is stored; ok is false when it is not. err is a
// failure to look, not an answer.
type Lookup func(id uuid.UUID) (p Place, ok bool, err error)

// Known is what the store already holds of an append's events.
type Known struct {
	// Count is the number of events whose ID is stored, each at the stream
	// and revision the append gives it.
	Count int
	// LastPosition is the position of the last of them.
	LastPosition uint64
}

// Retry is the answer to an append all of whose events are known: the
// Duplicate result describing its last event as first written.
func (k Known) Retry(events []eventstore.EventData) eventstore.AppendResult {
	return eventstore.AppendResult{
		NextExpected: events[len(events)-1].Revision,
		LastPosition: k.LastPosition,
		Duplicate:    true,
	}
}

// FindStored looks up every event's ID. An ID stored at another stream or
// revision is a client bug and the request's error (reqErr wraps
// eventstore.ErrDuplicateID); fatal is a failed lookup.
func FindStored(stream string, events []eventstore.EventData, lookup Lookup) (k Known, reqErr, fatal error) {
	for _, e := range events {
		p, ok, err := lookup(e.ID)
		if err != nil {
			return Known{}, nil, fmt.Errorf("look up event %s: %w", e.ID, err)
		}
		if !ok {
			continue
		}
		if p.Stream != stream || p.Revision != e.Revision {
			return Known{}, fmt.Errorf("event %s at revision %d is stored in %s at revision %d: %w",
				e.ID, e.Revision, p.Stream, p.Revision, eventstore.ErrDuplicateID), nil
		}
		k.Count++
		k.LastPosition = p.Position
	}
	return k, nil, nil
}

// Explain decides why an append the store did not write as asked, on a
// stream at head, was not written: an idempotent retry (every ID already at
// its stream and revision: res is the Duplicate result), an ID used
// elsewhere or a concurrency conflict (reqErr). Errors name the stream but
// for a *eventstore.ConcurrencyError, which does so itself. fatal is a
// failed lookup. All zero values mean none of these holds; the caller knows
// what that means.
func Explain(stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData, head Head, lookup Lookup) (res eventstore.AppendResult, reqErr, fatal error) {
	k, reqErr, fatal := FindStored(stream, events, lookup)
	switch {
	case fatal != nil:
		return res, nil, fatal
	case reqErr != nil:
		return res, fmt.Errorf("append %s: %w", stream, reqErr), nil
	case k.Count == len(events):
		return k.Retry(events), nil, nil
	}
	if err := CheckExpected(stream, expected, head); err != nil {
		return res, err, nil
	}
	if err := CheckRevisions(events, head.Next()); err != nil {
		return res, fmt.Errorf("append %s: %w", stream, err), nil
	}
	return res, nil, nil
}
