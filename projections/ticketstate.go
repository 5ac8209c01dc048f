package projections

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"reflect"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/domain"
)

// A ticket's folded state is stored as the JSON of domain.Ticket, whole, so
// that folding its next events after a restart is exactly the write path's
// fold: no field list to keep in step with the domain. The one field JSON
// leaves out, the expiry effect, has a column of its own (encodeEffect).

// encodeTicketState returns t's state as column text.
func encodeTicketState(t domain.Ticket) (string, error) {
	raw, err := json.Marshal(t)
	if err != nil {
		return "", fmt.Errorf("encode ticket state: %w", err)
	}
	return string(raw), nil
}

// decodeTicketState reads what encodeTicketState and encodeEffect wrote.
func decodeTicketState(state string, effect sql.NullString) (domain.Ticket, error) {
	var t domain.Ticket
	if err := json.Unmarshal([]byte(state), &t); err != nil {
		return domain.Ticket{}, fmt.Errorf("decode ticket state: %w", err)
	}
	x, err := decodeEffect(effect)
	if err != nil {
		return domain.Ticket{}, err
	}
	t.Effect = x
	return t, nil
}

// ticketStateVersion is the schema version of the projections that store
// ticket states: a checksum of domain.Ticket's shape (field names and types,
// all the way down). A build whose Ticket gained, lost or retyped a field
// has another version, so its projector rebuilds those read models rather
// than decode a state written for other fields.
var ticketStateVersion = int(crc32.ChecksumIEEE([]byte(typeShape(reflect.TypeFor[domain.Ticket](), map[reflect.Type]bool{}))) & 0x3fffffff)

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
