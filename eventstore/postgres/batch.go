package postgres

import (
	"fmt"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/appendcheck"
	"github.com/disputes-ledger/disputes/eventstore/internal/groupcommit"
	"github.com/google/uuid"
)

// batchState is what one group-commit transaction knows about the log: the
// committed state it read while holding the head lock, plus its own writes
// so far. Checking requests against it in Go needs no round trip per
// request, and because every request of the batch is checked against the
// earlier ones' writes, two appends to one stream in one batch are ordered
// exactly as two transactions would be.
type batchState struct {
	last  uint64                          // highest position, including this batch's rows
	heads map[string]appendcheck.Head     // streams the batch touches
	ids   map[uuid.UUID]appendcheck.Place // the batch's event IDs that are stored or written

	rows rows // to insert, in position order
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
func (b *batchState) apply(r *groupcommit.Request) (eventstore.AppendResult, error) {
	h := b.heads[r.Stream]
	known := false
	for _, e := range r.Events {
		if _, ok := b.ids[e.ID]; ok {
			known = true
			break
		}
	}
	if known || !r.Expected.Allows(h.Last, h.Exists) || !appendcheck.RevisionsFrom(r.Events, h.Next()) {
		return b.explain(r, h)
	}
	for _, e := range r.Events {
		b.last++
		b.ids[e.ID] = appendcheck.Place{Stream: r.Stream, Revision: e.Revision, Position: b.last}
		b.rows.add(b.last, r.Stream, e)
	}
	b.heads[r.Stream] = appendcheck.Head{Last: r.Events[len(r.Events)-1].Revision, Exists: true}
	return eventstore.AppendResult{NextExpected: r.Events[len(r.Events)-1].Revision, LastPosition: b.last}, nil
}

// explain decides why a request cannot be written as asked: an idempotent
// retry (every ID already at its stream and revision), an ID used elsewhere,
// or a concurrency conflict.
func (b *batchState) explain(r *groupcommit.Request, h appendcheck.Head) (eventstore.AppendResult, error) {
	res, err, _ := appendcheck.Explain(r.Stream, r.Expected, r.Events, h, b.lookup) // the map never fails to look
	if err != nil || res.Duplicate {
		return res, err
	}
	// Some IDs are stored at this stream's revisions and the rest are new,
	// yet the revisions follow the head: impossible, since stored revisions
	// are at most the head. Refuse rather than guess.
	return eventstore.AppendResult{}, fmt.Errorf("append %s: partly stored batch with consistent revisions: %w", r.Stream, eventstore.ErrConcurrency)
}

// lookup is an appendcheck.Lookup over the IDs the batch read or wrote.
func (b *batchState) lookup(id uuid.UUID) (appendcheck.Place, bool, error) {
	p, ok := b.ids[id]
	return p, ok, nil
}
