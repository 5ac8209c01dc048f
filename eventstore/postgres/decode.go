package postgres

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/sqlread"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// The read queries decode their rows from the wire bytes rather than through
// Rows.Scan: the columns' types are fixed by the schema, and skipping the
// scan plans roughly halves the cost of a large read. pgx asks for the
// binary format of bigint, uuid and bytea; text columns are the same bytes in
// either format. decodeRow checks the formats so a driver change fails loudly
// instead of misreading.

// errRowShape reports a row whose columns are not what the query selects.
var errRowShape = errors.New("unexpected row shape")

// decodeRow decodes a row of a stream read, (position, id, revision, type,
// data), into e; with names, a row of a log read, (position, id, stream,
// revision, type, data), sharing stream and type strings through names.
func decodeRow(vals [][]byte, fds []pgconn.FieldDescription, e *eventstore.RecordedEvent, names *sqlread.Interner) error {
	revCol := 2
	if names != nil {
		revCol = 3 // after the stream
	}
	if len(vals) != revCol+3 {
		return fmt.Errorf("%w: %d columns", errRowShape, len(vals))
	}
	pos, err := int8At(vals, fds, 0)
	if err != nil {
		return err
	}
	if err := uuidAt(vals, fds, 1, e); err != nil {
		return err
	}
	rev, err := int8At(vals, fds, revCol)
	if err != nil {
		return err
	}
	e.Position, e.Revision = uint64(pos), uint64(rev)
	if names != nil {
		e.Stream, e.Type = names.Get(vals[2]), names.Get(vals[revCol+1])
	} else {
		e.Type = string(vals[revCol+1])
	}
	e.Data, err = byteaAt(vals, fds, revCol+2)
	return err
}

func int8At(vals [][]byte, fds []pgconn.FieldDescription, i int) (int64, error) {
	if fds[i].Format != pgtype.BinaryFormatCode || len(vals[i]) != 8 {
		return 0, fmt.Errorf("%w: column %s: format %d, %d bytes", errRowShape, fds[i].Name, fds[i].Format, len(vals[i]))
	}
	return int64(binary.BigEndian.Uint64(vals[i])), nil
}

func uuidAt(vals [][]byte, fds []pgconn.FieldDescription, i int, e *eventstore.RecordedEvent) error {
	if fds[i].Format != pgtype.BinaryFormatCode || len(vals[i]) != 16 {
		return fmt.Errorf("%w: column %s: format %d, %d bytes", errRowShape, fds[i].Name, fds[i].Format, len(vals[i]))
	}
	copy(e.ID[:], vals[i])
	return nil
}

// byteaAt copies the column: the row buffer is reused for the next row.
func byteaAt(vals [][]byte, fds []pgconn.FieldDescription, i int) ([]byte, error) {
	if fds[i].Format != pgtype.BinaryFormatCode || vals[i] == nil {
		return nil, fmt.Errorf("%w: column %s: format %d", errRowShape, fds[i].Name, fds[i].Format)
	}
	return append(make([]byte, 0, len(vals[i])), vals[i]...), nil
}
