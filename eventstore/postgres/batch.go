package postgres

import (
	"fmt"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/google/uuid"
)

// batchState is what one group-commit transaction knows about the log: the
// committed state it read while holding the head lock, plus its own writes
// so far. Checking requests against it in Go needs no round trip per
// request, and because every request of the batch is checked against the
// earlier ones' writes, two appends to one stream in one batch are ordered
// exactly as two transactions would be.
type batchState struct {
	last  uint64              // highest position, including this batch's rows
	heads map[string]head     // streams the batch touches
	ids   map[uuid.UUID]place // the batch's event IDs that are stored or written

	rows rows // to insert, in position order
}

// head is a stream's last revision; exists is false for a missing stream.
type head struct {
	last   uint64
	exists bool
}

// place is where an event ID is stored.
type place struct {
	stream   string
	revision uint64
	position uint64
}

// rows are the columns of the INSERT … SELECT FROM unnest(…).
type rows struct {
	positions []int64
	ids       []uuid.UUID
	streams   []string
	revisions []int64
	types     []string
	data      [][]byte
}

func (r *rows) add(pos uint64, stream string, e eventstore.EventData) {
	r.positions = append(r.positions, int64(pos))
	r.ids = append(r.ids, e.ID)
	r.streams = append(r.streams, stream)
	r.revisions = append(r.revisions, int64(e.Revision))
	r.types = append(r.types, e.Type)
	r.data = append(r.data, e.Data)
}

func (r *rows) len() int { return len(r.positions) }

// apply checks one request against the state and, if it holds, adds its
// events. It returns the request's answer or its own error; nothing it does
// can fail the batch.
func (b *batchState) apply(r *appendReq) (eventstore.AppendResult, error) {
	h := b.heads[r.stream]
	var next uint64
	if h.exists {
		next = h.last + 1
	}
	known := false
	for _, e := range r.events {
		if _, ok := b.ids[e.ID]; ok {
			known = true
			break
		}
	}
	if known || !r.expected.Allows(h.last, h.exists) || !revisionsFrom(r.events, next) {
		return b.explain(r, h)
	}
	for _, e := range r.events {
		b.last++
		b.ids[e.ID] = place{stream: r.stream, revision: e.Revision, position: b.last}
		b.rows.add(b.last, r.stream, e)
	}
	b.heads[r.stream] = head{last: r.events[len(r.events)-1].Revision, exists: true}
	return eventstore.AppendResult{NextExpected: r.events[len(r.events)-1].Revision, LastPosition: b.last}, nil
}

// explain decides why a request cannot be written as asked: an idempotent
// retry (every ID already at its stream and revision), an ID used elsewhere,
// or a concurrency conflict.
func (b *batchState) explain(r *appendReq, h head) (eventstore.AppendResult, error) {
	found := 0
	var lastPos uint64
	for _, e := range r.events {
		p, ok := b.ids[e.ID]
		if !ok {
			continue
		}
		if p.stream != r.stream || p.revision != e.Revision {
			return eventstore.AppendResult{}, fmt.Errorf("append %s: event %s at revision %d is stored in %s at revision %d: %w",
				r.stream, e.ID, e.Revision, p.stream, p.revision, eventstore.ErrDuplicateID)
		}
		found++
		lastPos = p.position
	}
	if found == len(r.events) {
		return eventstore.AppendResult{
			NextExpected: r.events[len(r.events)-1].Revision,
			LastPosition: lastPos,
			Duplicate:    true,
		}, nil
	}
	if !r.expected.Allows(h.last, h.exists) {
		return eventstore.AppendResult{}, &eventstore.ConcurrencyError{Stream: r.stream, Expected: r.expected, Actual: h.last, Exists: h.exists}
	}
	var next uint64
	if h.exists {
		next = h.last + 1
	}
	for i, e := range r.events {
		if want := next + uint64(i); e.Revision != want {
			return eventstore.AppendResult{}, fmt.Errorf("append %s: event %s carries revision %d, the store assigns %d: %w",
				r.stream, e.ID, e.Revision, want, eventstore.ErrConcurrency)
		}
	}
	// Some IDs are stored at this stream's revisions and the rest are new,
	// yet the revisions follow the head: impossible, since stored revisions
	// are at most the head. Refuse rather than guess.
	return eventstore.AppendResult{}, fmt.Errorf("append %s: partly stored batch with consistent revisions: %w", r.stream, eventstore.ErrConcurrency)
}

// revisionsFrom reports whether events carry revisions next, next+1, ….
func revisionsFrom(events []eventstore.EventData, next uint64) bool {
	for i, e := range events {
		if e.Revision != next+uint64(i) {
			return false
		}
	}
	return true
}
