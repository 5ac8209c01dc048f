package sqliteaudit

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/eventstore"
)

var (
	_ audit.Log          = (*Store)(nil)
	_ audit.StrayScanner = (*Store)(nil)
)

// strayQuery finds the rows a stream read and ReadAll see differently: at
// position 0 or below (no ReadAll reaches them), or with a stream, type or
// revision of another storage class than the table declares (a STRICT
// table refuses those, but an operator can edit the schema text). It reads
// the whole table; EventsBelowLog reads only the rows at position 0 or
// below, and ReadAllStrays finds the others as it reads the log.
const strayQuery = straySelect + `
	WHERE position <= 0 OR typeof(stream) <> 'text' OR typeof(type) <> 'text' OR typeof(revision) <> 'integer'
	ORDER BY position`

// belowLogQuery is strayQuery's rows at position 0 or below: a range of the
// table's key, so it reads only them.
const belowLogQuery = straySelect + `
	WHERE position <= 0
	ORDER BY position`

// straySelect is what both name of a stray row: its position, stream and
// revision as far as they read, and which column holds another class.
const straySelect = `SELECT position, CAST(stream AS TEXT), CAST(revision AS INTEGER),
	CASE WHEN typeof(stream) <> 'text' THEN 'stream ' || typeof(stream)
	     WHEN typeof(type) <> 'text' THEN 'type ' || typeof(type)
	     WHEN typeof(revision) <> 'integer' THEN 'revision ' || typeof(revision)
	     ELSE '' END
	FROM events`

// EventsOutsideLog returns the rows of strayQuery (audit.StrayReader).
func (s *Store) EventsOutsideLog(ctx context.Context) ([]audit.StrayEvent, error) {
	return s.strays(ctx, strayQuery)
}

// EventsBelowLog returns the rows at position 0 or below
// (audit.StrayScanner).
func (s *Store) EventsBelowLog(ctx context.Context) ([]audit.StrayEvent, error) {
	return s.strays(ctx, belowLogQuery)
}

func (s *Store) strays(ctx context.Context, query string) (_ []audit.StrayEvent, err error) {
	rows, err := s.db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("read events outside the log: %w", err)
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	out, err := audit.ReadRows(rows, func(scan func(...any) error) (audit.StrayEvent, error) {
		var (
			e   audit.StrayEvent
			rev int64
		)
		err := scan(&e.Position, &e.Stream, &rev, &e.StorageClass)
		e.Revision = uint64(rev)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read events outside the log: %w", err)
	}
	return out, nil
}

const readAllQuery = `SELECT position, id, stream, revision, type, data FROM events WHERE position > ? ORDER BY position LIMIT ?`

// ReadAll reads the events table directly, in position order, returning up
// to limit events (all for limit <= 0) with Position > after. Unlike the
// event store's ReadAll it does not refuse a log with missing positions: an
// auditor wants to be shown the gap, not an error. Nor does it refuse an
// event whose columns disagree with its data (eventstore.ErrCorrupt): the
// verifier reports each one (audit.CheckColumnMismatch) and goes on.
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	recs, _, err := s.ReadAllStrays(ctx, after, limit)
	return recs, err
}

// ReadAllStrays is ReadAll that also returns the rows read whose stream,
// type or revision is stored in another storage class than the table
// declares, as strayQuery would (audit.StrayScanner). The driver hands each
// value over as the Go type of its class, so telling them apart costs the
// read nothing: verify reads the table once, not once more for strays.
//
// The rows are read on the driver's connection (queryRows), and an
// event's data is the copy of the column the driver made for that row,
// handed over: not copied again, as database/sql would into a []byte, and
// each event's its own, so a verification keeping a ticket's events keeps
// nothing of the events read beside them.
func (s *Store) ReadAllStrays(ctx context.Context, after uint64, limit int) (_ []eventstore.RecordedEvent, strays []audit.StrayEvent, err error) {
	if limit <= 0 {
		limit = -1
	}
	var (
		out   []eventstore.RecordedEvent
		names = map[string]string{}
		last  string // the stream of the row before: a ticket's events follow each other
	)
	if limit > 0 {
		out = make([]eventstore.RecordedEvent, 0, limit)
	}
	args := []driver.NamedValue{{Ordinal: 1, Value: int64(after)}, {Ordinal: 2, Value: int64(limit)}}
	err = s.queryRows(ctx, readAllQuery, args, func(row []driver.Value) error {
		pos, rawID, stream, rev, typ, data := row[0], row[1], row[2], row[3], row[4], row[5]
		position, err := integerOf(pos)
		if err != nil {
			return fmt.Errorf("position: %w", err)
		}
		revision, err := integerOf(rev)
		if err != nil {
			return fmt.Errorf("position %d: revision: %w", position, err)
		}
		e := eventstore.RecordedEvent{Position: uint64(position), Revision: uint64(revision), Data: bytesOf(data)}
		if name, ok := stream.(string); ok && name == last {
			e.Stream = last
		} else {
			e.Stream = intern(names, stream)
			last = e.Stream
		}
		e.Type = intern(names, typ)
		// A mangled id is the verifier's business (it checks the columns
		// against the hashed data), not a reason to stop reading.
		e.ID, _ = uuid.FromBytes(bytesOf(rawID))
		out = append(out, e)
		if class := strayClass(stream, typ, rev); class != "" {
			strays = append(strays, audit.StrayEvent{Position: position, Stream: e.Stream, Revision: uint64(revision), StorageClass: class})
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read events after %d: %w", after, err)
	}
	return out, strays, nil
}

// strayClass is strayQuery's StorageClass of a row's stream, type and
// revision as the driver handed them over: "" when each is of its declared
// class, else the first that is not, and its class.
func strayClass(stream, typ, rev any) string {
	switch {
	case classOf(stream) != "text":
		return "stream " + classOf(stream)
	case classOf(typ) != "text":
		return "type " + classOf(typ)
	case classOf(rev) != "integer":
		return "revision " + classOf(rev)
	}
	return ""
}

// classOf names the SQLite storage class of a value by the Go type the
// driver hands it over as (SQLite's typeof). Any other type, which the
// driver makes only of columns declared otherwise than the ledger declares
// them, is named by its Go type: never "text" or "integer".
func classOf(v any) string {
	switch v.(type) {
	case string:
		return "text"
	case int64:
		return "integer"
	case []byte:
		return "blob"
	case float64:
		return "real"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// integerOf is an integer column's value, converted as database/sql scans
// any other class into an int64 (a NULL is an error).
func integerOf(v any) (int64, error) {
	if n, ok := v.(int64); ok {
		return n, nil
	}
	var n sql.NullInt64
	if err := n.Scan(v); err != nil {
		return 0, err
	}
	if !n.Valid {
		return 0, errors.New("NULL")
	}
	return n.Int64, nil
}

// intern shares one string among the repeated stream and type values of a
// read. A value of another class than text is read as its bytes, as a
// read of the column as text would.
func intern(names map[string]string, v any) string {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case []byte:
		if s, ok := names[string(v)]; ok { // no allocation for the lookup
			return s
		}
		s = string(v)
	default:
		s = textOf(v)
	}
	if shared, ok := names[s]; ok {
		return shared
	}
	names[s] = s
	return s
}

// textOf is a number's or NULL's text, as database/sql converts one into a
// string ("" for NULL).
func textOf(v any) string {
	switch v := v.(type) {
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
