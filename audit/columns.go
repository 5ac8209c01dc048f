package audit

import (
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/google/uuid"
)

// Columns are what a ledger stores beside an event's bytes and the
// application reads: id, stream, revision, type. Only the bytes are hashed
// and sealed, so the verifier checks the columns against them.
type Columns struct {
	ID       uuid.UUID `json:"id"`
	Stream   string    `json:"stream"`
	Revision uint64    `json:"revision"`
	Type     string    `json:"type"`
}

// ColumnsOf returns rec's columns.
func ColumnsOf(rec eventstore.RecordedEvent) Columns {
	return Columns{ID: rec.ID, Stream: rec.Stream, Revision: rec.Revision, Type: rec.Type}
}

// CheckColumns notes whether the columns the ledger stored the event
// under disagree with its bytes, data, which p was prepared from
// (eventstore.CheckColumns); Apply reports it as a CheckColumnMismatch
// finding.
func (p *Prepared) CheckColumns(data []byte, c Columns) {
	// An event that decoded holds the very header eventstore.CheckColumns
	// would read again: columns equal to it agree with the bytes. Anything
	// else is left to eventstore.CheckColumns, which names the column and
	// why.
	if p.err == nil && c.ID == p.env.ID && c.Stream == p.env.Stream && c.Revision == p.env.Revision && c.Type == p.env.Type {
		p.columnsErr = nil
		return
	}
	rec := eventstore.RecordedEvent{ID: c.ID, Stream: c.Stream, Revision: c.Revision, Type: c.Type, Data: data, Position: p.pos}
	p.columnsErr = eventstore.CheckColumns(&rec)
}

// PrepareRecord is PrepareOwned for an event read from a ledger, with the
// columns it was stored under checked. A Log's ReadAll hands over records
// whose bytes nobody changes afterwards, as an eventstore.Store's does.
func PrepareRecord(rec eventstore.RecordedEvent) Prepared {
	p := PrepareOwned(rec.Position, rec.Data, nil, 0)
	p.CheckColumns(rec.Data, ColumnsOf(rec))
	return p
}
