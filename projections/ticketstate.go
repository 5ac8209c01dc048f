package projections

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"reflect"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/domain"
)

// A ticket's folded state is stored as the JSON of its domain.Snapshot, the
// domain's own statement of what folding the next events needs, so that
// carrying on after a restart is exactly the write path's fold. Reading it
// back is json.Unmarshal's; writing it is appendSnapshotJSON's field list
// (snapshotjson.go), which TestSnapshotJSONIsMarshals fails on the moment a
// field added to domain.Snapshot is not written there.

// snapshotEncoder writes snapshots as column text: json.Marshal's bytes,
// written field by field (appendSnapshotJSON) into a buffer it keeps — the
// deadlines read model writes every open ticket's state at each of its
// commits, and reflection made json.Marshal most of that cost.
// TestSnapshotJSONIsMarshals holds the two equal.
type snapshotEncoder struct{ buf []byte }

// encode returns s as column text.
func (enc *snapshotEncoder) encode(s *domain.Snapshot) (string, error) {
	raw, err := appendSnapshotJSON(enc.buf[:0], s)
	if err != nil {
		return "", fmt.Errorf("encode ticket snapshot: %w", err)
	}
	enc.buf = raw
	return string(raw), nil
}

// decodeSnapshot reads what snapshotEncoder wrote.
func decodeSnapshot(text string) (domain.Snapshot, error) {
	var s domain.Snapshot
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		return domain.Snapshot{}, fmt.Errorf("decode ticket snapshot: %w", err)
	}
	return s, nil
}

// snapshotVersion is the schema version of a read model that stores
// snapshots: a checksum of domain.Snapshot's shape (field names and types,
// all the way down). A build whose Snapshot gained, lost or retyped a field
// has another version, so its projector rebuilds that read model rather
// than decode a state written for other fields.
var snapshotVersion = int(crc32.ChecksumIEEE([]byte(typeShape(reflect.TypeFor[domain.Snapshot](), map[reflect.Type]bool{}))) & 0x3fffffff)

// typeShape writes t's structure: a struct's exported fields with their
// JSON names and types, recursively; other types by name and kind.
func typeShape(t reflect.Type, seen map[reflect.Type]bool) string {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return t.Kind().String() + "(" + typeShape(t.Elem(), seen) + ")"
	case reflect.Map:
		return "map(" + typeShape(t.Key(), seen) + ")" + typeShape(t.Elem(), seen)
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() || seen[t] {
			return t.String()
		}
		seen[t] = true
		var b strings.Builder
		b.WriteString(t.String() + "{")
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			fmt.Fprintf(&b, "%s %s %s;", f.Name, f.Tag.Get("json"), typeShape(f.Type, seen))
		}
		b.WriteString("}")
		return b.String()
	}
	return t.String() + ":" + t.Kind().String()
}
