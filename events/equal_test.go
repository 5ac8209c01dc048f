package events_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/events"
)

// copyOf returns a copy of p sharing no memory with it, read back from its
// encoding.
func copyOf(t *testing.T, p events.Payload) reflect.Value {
	t.Helper()
	data, err := json.Marshal(p)
	require.NoError(t, err)
	v := reflect.New(reflect.TypeOf(p)).Elem()
	require.NoError(t, json.Unmarshal(data, v.Addr().Interface()))
	return v
}

// changeLeaf changes the n-th leaf of v (in a walk of its exported fields) and
// reports its path, or "" when v has fewer leaves; n counts down.
func changeLeaf(v reflect.Value, n *int, path string) string {
	if v.Type() == reflect.TypeFor[time.Time]() {
		if *n--; *n < 0 {
			v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Nanosecond)))
			return path
		}
		return ""
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				if got := changeLeaf(v.Field(i), n, path+"."+f.Name); got != "" {
					return got
				}
			}
		}
		return ""
	case reflect.Pointer:
		if *n--; *n < 0 {
			v.SetZero()
			return path + " (nil)"
		}
		return changeLeaf(v.Elem(), n, path)
	case reflect.Slice:
		if *n--; *n < 0 {
			v.SetLen(v.Len() - 1)
			return path + " (shorter)"
		}
		for i := range v.Len() {
			if got := changeLeaf(v.Index(i), n, fmt.Sprintf("%s[%d]", path, i)); got != "" {
				return got
			}
		}
		return ""
	}
	if *n--; *n >= 0 {
		return ""
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(v.Uint() + 1)
	default:
		panic("changeLeaf: kind " + v.Kind().String())
	}
	return path
}

// SameWire vouches for two payloads only when they are written alike: a
// copy sharing no memory is the same; any member changed — each leaf of
// every fixture in turn, a pointer gone, a list shorter — is not.
func TestSameWire(t *testing.T) {
	t.Parallel()
	for typ, f := range fixtures() {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			p := f.payload
			assert.True(t, events.SameWire(p, copyOf(t, p).Interface().(events.Payload)), "a copy of the fixture")
			want, err := json.Marshal(p)
			require.NoError(t, err)
			changed := 0
			for n := 0; ; n++ {
				v := copyOf(t, p)
				left := n
				path := changeLeaf(v, &left, typ)
				if path == "" {
					break
				}
				got, err := json.Marshal(v.Interface())
				require.NoError(t, err)
				require.NotEqual(t, string(want), string(got), "the change of %s shows on the wire", path)
				assert.False(t, events.SameWire(p, v.Interface().(events.Payload)), "%s changed", path)
				assert.False(t, events.SameWire(v.Interface().(events.Payload), p), "%s changed", path)
				changed++
			}
			if reflect.TypeOf(p).NumField() > 0 {
				assert.Positive(t, changed, "the walk found no member to change")
			}
		})
	}
}

func TestSameWireCannotTell(t *testing.T) {
	t.Parallel()
	empty := events.MessagePosted{Party: events.RoleBuyer, Text: "hi", VagueWords: []string{}}
	null := empty
	null.VagueWords = nil
	for _, tc := range []struct {
		name string
		a, b events.Payload
	}{
		{"other types", events.TicketWithdrawn{}, events.TicketAbandoned{}},
		{"nil", nil, events.TicketWithdrawn{}},
		{"a nil list beside an empty one (null and [])", null, empty},
	} {
		assert.False(t, events.SameWire(tc.a, tc.b), tc.name)
		assert.False(t, events.SameWire(tc.b, tc.a), tc.name)
	}
}
