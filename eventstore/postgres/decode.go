package postgres

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/disputes-ledger/disputes/eventstore"
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

// decodeRow decodes (position, id, revision, type, data) into e.
func decodeRow(vals [][]byte, fds []pgconn.FieldDescription, e *eventstore.RecordedEvent) error {
	if len(vals) != 5 {
		return fmt.Errorf("%w: %d columns", errRowShape, len(vals))
	}
	pos, err := int8At(vals, fds, 0)
	if err != nil {
		return err
	}
	if err := uuidAt(vals, fds, 1, e); err != nil {
		return err
	}
	rev, err := int8At(vals, fds, 2)
	if err != nil {
		return err
	}
	e.Position, e.Revision = uint64(pos), uint64(rev)
	e.Type = string(vals[3])
	e.Data, err = byteaAt(vals, fds, 4)
	return err
}

// decodeRowAll decodes (position, id, stream, revision, type, data) into e.
func decodeRowAll(vals [][]byte, fds []pgconn.FieldDescription, e *eventstore.RecordedEvent, names *interner) error {
	if len(vals) != 6 {
		return fmt.Errorf("%w: %d columns", errRowShape, len(vals))
	}
	pos, err := int8At(vals, fds, 0)
	if err != nil {
		return err
	}
	if err := uuidAt(vals, fds, 1, e); err != nil {
		return err
	}
	rev, err := int8At(vals, fds, 3)
	if err != nil {
		return err
	}
	e.Position, e.Revision = uint64(pos), uint64(rev)
	e.Stream, e.Type = names.get(vals[2]), names.get(vals[4])
	e.Data, err = byteaAt(vals, fds, 5)
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

// interner shares the string for repeated byte values within one read.
type interner map[string]string

func (in *interner) get(b []byte) string {
	if *in == nil {
		*in = make(map[string]string)
	}
	if s, ok := (*in)[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	(*in)[s] = s
	return s
}
