package commands

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// structMembers are the member names a struct decodes from, exactly as
// its json tags spell them, with promoted fields of embedded structs
// (ShipReturn's events.Shipment, Rule's events.Terms) flattened in.
type structMembers struct {
	names []string
	types []reflect.Type
}

// index returns the field named exactly name, or -1. A struct here has
// a dozen fields at most: a scan beats a map.
func (m *structMembers) index(name string) int {
	for i, n := range m.names {
		if n == name {
			return i
		}
	}
	return -1
}

// indexLiteral is index of the name a raw string literal spells; a plain
// one (no escape, ASCII) is compared as it stands, without a copy.
func (m *structMembers) indexLiteral(lit []byte) int {
	if !plainLiteral(lit) {
		return m.index(unquoteName(lit))
	}
	body := lit[1 : len(lit)-1]
	for i, n := range m.names {
		if n == string(body) {
			return i
		}
	}
	return -1
}

// unknown explains why name is refused, naming the exact-case member when
// the decoder would have matched it case-insensitively.
func (m *structMembers) unknown(name string) string {
	for _, n := range m.names {
		if strings.EqualFold(n, name) {
			return fmt.Sprintf("is not a known member: names are exact-case, this one is %q", n)
		}
	}
	if len(m.names) == 0 {
		return "is not a known member: this object has none"
	}
	return fmt.Sprintf("is not a known member (known: %s)", strings.Join(m.names, ", "))
}

// membersCache holds one *structMembers per struct type, built on first use.
var membersCache sync.Map

func membersOf(t reflect.Type) *structMembers {
	if m, ok := membersCache.Load(t); ok {
		return m.(*structMembers)
	}
	m := &structMembers{}
	addMembers(m, t)
	if len(m.names) > 64 {
		// The walk marks the members it met in one uint64.
		panic(fmt.Sprintf("commands: %s has %d JSON members, more than the 64 the strict walk tracks", t, len(m.names)))
	}
	actual, _ := membersCache.LoadOrStore(t, m)
	return actual.(*structMembers)
}

// addMembers adds t's own fields first, then those promoted from embedded
// structs, so that a shallower field shadows a deeper one as in
// encoding/json.
func addMembers(m *structMembers, t reflect.Type) {
	var embedded []reflect.Type
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			embedded = append(embedded, ft)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if m.index(name) < 0 {
			m.names, m.types = append(m.names, name), append(m.types, f.Type)
		}
	}
	for _, e := range embedded {
		addMembers(m, e)
	}
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// transparent returns the type whose members a JSON value decoding into t
// must match, or nil when t reads itself (json.RawMessage, time.Time) and
// the walk cannot know.
func transparent(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return nil
	}
	return t
}
