package commands

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// TestMembersAgreeWithEncodingJSON: the names the strict walk accepts are
// exactly those encoding/json writes for the type (every name it marshals
// is known) and reads strictly (every known name decodes with unknown
// fields disallowed), for the envelope and every command and nested type.
func TestMembersAgreeWithEncodingJSON(t *testing.T) {
	t.Parallel()
	types := []reflect.Type{reflect.TypeFor[Request](), reflect.TypeFor[events.Actor](),
		reflect.TypeFor[events.EvidenceItem](), reflect.TypeFor[events.Terms](), reflect.TypeFor[events.Shipment]()}
	for _, c := range domain.Commands() {
		types = append(types, reflect.TypeOf(c))
	}
	for _, typ := range types {
		m := membersOf(typ)
		written, err := json.Marshal(reflect.New(typ).Interface())
		require.NoError(t, err)
		var keys map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(written, &keys))
		for k := range keys {
			assert.GreaterOrEqual(t, m.index(k), 0, "%s writes %q, which the walk does not know", typ, k)
		}
		for _, name := range m.names {
			dec := json.NewDecoder(bytes.NewReader([]byte(`{"` + name + `":null}`)))
			dec.DisallowUnknownFields()
			assert.NoError(t, dec.Decode(reflect.New(typ).Interface()), "%s: %q", typ, name)
		}
	}
}
