package events

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// A plan tells the canonical decoder (canonical.go) how encoding/json writes
// one struct type: its members, in order, with their Go field paths. Plans
// are derived from the struct tags once, so the decoder reads payloads
// without encoding/json's per-call reflection and without a second encoding
// pass. A type using any encoding/json feature a plan does not model
// (options other than omitempty on a string, custom marshalers, maps,
// floats, interfaces, name conflicts…) gets no plan; its events take the
// strict path instead, which is slower but exact.
type plan struct {
	members []member
}

// member is one JSON object member of a planned struct.
type member struct {
	key   string // `"name":`, exactly as encoding/json writes it
	index []int  // reflect field index path, through embedded structs
	// offset is the member's offset in the struct, through embedded
	// structs (which are embedded by value): SameWire reads it there.
	offset uintptr
	vt     *valueType
	// omitEmpty: a string member encoding/json leaves out when empty (the
	// omitempty option), so that members added later stay out of older
	// events' bytes.
	omitEmpty bool
}

// kind is how a value is spelled on the wire.
type kind uint8

const (
	kindString  kind = iota + 1 // any string kind, named or not
	kindBool                    // true or false
	kindInt                     // signed integers
	kindUint                    // unsigned integers (not bytes)
	kindTime                    // time.Time, RFC 3339 in a string
	kindStruct                  // a planned struct
	kindPointer                 // null or the pointed-to value
	kindSlice                   // null or an array of elements
)

// valueType describes one Go type as the decoder reads it.
type valueType struct {
	kind kind
	typ  reflect.Type
	elem *valueType // kindPointer, kindSlice
	plan *plan      // kindStruct
}

var (
	timeType        = reflect.TypeFor[time.Time]()
	marshalerTypes  = []reflect.Type{reflect.TypeFor[json.Marshaler](), reflect.TypeFor[encoding.TextMarshaler]()}
	unmarshalerType = []reflect.Type{reflect.TypeFor[json.Unmarshaler](), reflect.TypeFor[encoding.TextUnmarshaler]()}
)

// planFor returns the plan of a payload struct type, or an error naming the
// feature that keeps it on the strict path.
func planFor(t reflect.Type) (*plan, error) {
	vt, err := valueTypeOf(t, map[reflect.Type]bool{})
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", t, err)
	}
	if vt.kind != kindStruct {
		return nil, fmt.Errorf("plan %s: not a struct", t)
	}
	return vt.plan, nil
}

func valueTypeOf(t reflect.Type, inProgress map[reflect.Type]bool) (*valueType, error) {
	if t == timeType {
		return &valueType{kind: kindTime, typ: t}, nil
	}
	if t.Kind() == reflect.Pointer {
		// A pointer has its element's methods; encoding/json writes a nil
		// pointer as null and otherwise the element, which is checked next.
		if k := t.Elem().Kind(); k != reflect.Struct {
			return nil, fmt.Errorf("pointer to %s", k)
		}
		elem, err := valueTypeOf(t.Elem(), inProgress)
		if err != nil {
			return nil, err
		}
		return &valueType{kind: kindPointer, typ: t, elem: elem}, nil
	}
	for _, m := range marshalerTypes {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return nil, fmt.Errorf("%s has a custom marshaler", t)
		}
	}
	for _, u := range unmarshalerType {
		if t.Implements(u) || reflect.PointerTo(t).Implements(u) {
			return nil, fmt.Errorf("%s has a custom unmarshaler", t)
		}
	}
	switch t.Kind() {
	case reflect.String:
		return &valueType{kind: kindString, typ: t}, nil
	case reflect.Bool:
		return &valueType{kind: kindBool, typ: t}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &valueType{kind: kindInt, typ: t}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &valueType{kind: kindUint, typ: t}, nil
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil, fmt.Errorf("%s is written as base64", t)
		}
		elem, err := valueTypeOf(t.Elem(), inProgress)
		if err != nil {
			return nil, err
		}
		return &valueType{kind: kindSlice, typ: t, elem: elem}, nil
	case reflect.Struct:
		if inProgress[t] {
			return nil, fmt.Errorf("%s is recursive", t)
		}
		inProgress[t] = true
		defer delete(inProgress, t)
		p := &plan{}
		if err := addMembers(p, t, nil, 0, inProgress); err != nil {
			return nil, err
		}
		seen := make(map[string]bool, len(p.members))
		for _, m := range p.members {
			if seen[m.key] {
				// encoding/json would apply its dominance rules; not modelled.
				return nil, fmt.Errorf("%s: member %s appears twice", t, m.key)
			}
			seen[m.key] = true
		}
		return &valueType{kind: kindStruct, typ: t, plan: p}, nil
	}
	return nil, fmt.Errorf("%s of kind %s", t, t.Kind())
}

// addMembers appends t's members to p in encoding/json's order: declaration
// order, with an untagged embedded struct's members in its place.
func addMembers(p *plan, t reflect.Type, prefix []int, base uintptr, inProgress map[reflect.Type]bool) error {
	for i := range t.NumField() {
		f := t.Field(i)
		index := append(append([]int(nil), prefix...), i)
		tag, tagged := f.Tag.Lookup("json")
		if tag == "-" {
			continue
		}
		omitEmpty := false
		if name, opts, has := strings.Cut(tag, ","); has {
			if opts != "omitempty" || f.Type.Kind() != reflect.String {
				return fmt.Errorf("%s.%s: json tag options %q", t, f.Name, tag)
			}
			tag, omitEmpty = name, true
		}
		if f.Anonymous && tag == "" {
			if f.Type.Kind() != reflect.Struct || f.Type == timeType {
				return fmt.Errorf("%s.%s: embedded %s", t, f.Name, f.Type)
			}
			if err := addMembers(p, f.Type, index, base+f.Offset, inProgress); err != nil {
				return err
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tagged && tag != "" {
			name = tag
		}
		if !plainName(name) {
			return fmt.Errorf("%s.%s: member name %q", t, f.Name, name)
		}
		vt, err := valueTypeOf(f.Type, inProgress)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", t, f.Name, err)
		}
		p.members = append(p.members, member{key: `"` + name + `":`, index: index, offset: base + f.Offset, vt: vt, omitEmpty: omitEmpty})
	}
	return nil
}

// plainName reports whether encoding/json writes name as is: letters,
// digits and underscores need no escaping and are valid tag names.
func plainName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
