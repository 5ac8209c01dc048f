package commands

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// decodeFlat decodes data into v, a pointer to a struct, without
// encoding/json, when it is sure to decode exactly what encoding/json
// would: data is one object and nothing after it but whitespace, each of
// its members is named exactly as one of the struct's fields and appears
// once, and each value is a string without escapes (into a string field),
// an integer (into an int field it fits), true or false (into a bool
// field), or an object or list (into a json.RawMessage field, which gets
// its bytes as they stand). The struct qualifies when it has nothing but
// such fields, none embedded, none decoding itself, no ",string" option
// (flatPlanOf). On anything else decodeFlat reports false and has changed
// nothing: the caller decodes with encoding/json, which decides — this
// path never refuses, it only accepts what encoding/json accepts, to the
// same value (FuzzDecodeFlatAgreesWithTheDecoder).
//
// Every command body and nearly every command's data is such an object;
// encoding/json's decoder cost a command more than the rest of its parse
// and strict checks together (a scan to find the value's end, another to
// decode it, reflection for every member, and a buffer per decoder).
//
// It runs after checkRawStrings, as the decoder did, and does not rely on
// it: whatever that walk refuses is refused before either decoder runs.
func decodeFlat(data []byte, v any) bool { return decodeFlatWith(data, v, false) }

// decodeFlatChecked is decodeFlat that also does checkRawStrings' work in
// the same walk: it reports true only for a body that checkRawStrings
// would pass and decodeFlat would decode, and then has decoded it. Beyond
// decodeFlat it gives up on "" as an enumeration's value, and in a raw
// member on null, on a string or member name with an escape or that is not
// valid UTF-8, and on nesting past maxCheckedDepth: everything that walk
// refuses and a little more, which the callers then run through the walk
// and decodeFlat as before, so that a refusal is the same refusal
// (FuzzDecodeFlatCheckedOnlyTakesWhatTheWalkPasses). A command's body
// and its data were walked twice each, once per check, and the walk cost
// about as much as the decode.
func decodeFlatChecked(data []byte, v any) bool { return decodeFlatWith(data, v, true) }

// maxCheckedDepth is the deepest a raw member decodeFlatChecked takes
// may nest, well within checkRawStrings' maxNesting.
const maxCheckedDepth = maxNesting / 2

func decodeFlatWith(data []byte, v any, checked bool) bool {
	ptr := reflect.ValueOf(v)
	if ptr.Kind() != reflect.Pointer || ptr.IsNil() || ptr.Elem().Kind() != reflect.Struct {
		return false
	}
	plan := flatPlanOf(ptr.Elem().Type())
	if plan == nil {
		return false
	}
	// The values found, set on the struct only once the whole input has
	// been read: a body given up on halfway leaves v as it was.
	type found struct {
		field int // index in plan.fields
		lit   []byte
	}
	var (
		vals [16]found
		n    int
		seen uint64
	)
	toks := rawTokens{data: data}
	if tok := toks.next(); tok.kind != tokOpen || !tok.object {
		return false
	}
	for {
		tok := toks.next()
		if tok.kind == tokClose {
			break
		}
		if tok.kind != tokKey || n == len(vals) || bytes.IndexByte(tok.lit, '\\') >= 0 {
			return false
		}
		f := plan.index(tok.lit[1 : len(tok.lit)-1])
		if f < 0 || seen&(1<<f) != 0 {
			return false
		}
		seen |= 1 << f
		before := toks.pos
		tok = toks.next()
		var lit []byte
		switch plan.fields[f].kind {
		case flatString:
			if tok.kind != tokString || bytes.IndexByte(tok.lit, '\\') >= 0 || !utf8.Valid(tok.lit) {
				return false
			}
			if checked && len(tok.lit) == 2 && plan.fields[f].enum {
				return false // the walk refuses "" as an enumeration's value
			}
			lit = tok.lit[1 : len(tok.lit)-1]
		case flatInt, flatBool:
			if tok.kind != tokScalar {
				return false
			}
			// The scalar's literal: what the token read, past the colon
			// and the whitespace around it.
			lit = bytes.TrimLeft(toks.data[before:toks.pos], " \t\r\n:")
		case flatOther:
			return false
		case flatRaw:
			if tok.kind != tokOpen {
				return false
			}
			start, depth := toks.pos-1, 1
			for depth > 0 {
				switch tok := toks.next(); tok.kind {
				case tokStop:
					return false
				case tokOpen:
					if depth++; depth > maxFlatDepth || checked && depth > maxCheckedDepth {
						return false // encoding/json's scanner refuses past 10000 levels
					}
				case tokClose:
					depth--
				case tokNull:
					if checked {
						return false // the walk refuses null inside a body
					}
				case tokKey, tokString:
					if checked && (bytes.IndexByte(tok.lit, '\\') >= 0 || !utf8.Valid(tok.lit)) {
						return false
					}
				}
			}
			lit = toks.data[start:toks.pos]
		}
		vals[n] = found{field: f, lit: lit}
		n++
	}
	if toks.next().kind != tokStop || toks.pos != len(toks.data) {
		return false // a syntax error, or more after the object
	}
	// Parse every value before setting any.
	var ints [len(vals)]int64
	s := ptr.Elem()
	for i, fv := range vals[:n] {
		pf := plan.fields[fv.field]
		switch pf.kind {
		case flatInt:
			x, err := strconv.ParseInt(string(fv.lit), 10, 64)
			if err != nil || s.Field(pf.index).OverflowInt(x) {
				return false // a fraction, an exponent, or too large: the decoder's to refuse
			}
			ints[i] = x
		case flatBool:
			if string(fv.lit) != "true" && string(fv.lit) != "false" {
				return false
			}
		}
	}
	for i, fv := range vals[:n] {
		pf := plan.fields[fv.field]
		field := s.Field(pf.index)
		switch pf.kind {
		case flatString:
			field.SetString(string(fv.lit))
		case flatInt:
			field.SetInt(ints[i])
		case flatBool:
			field.SetBool(string(fv.lit) == "true")
		case flatRaw:
			raw := field.Addr().Interface().(*json.RawMessage)
			*raw = append((*raw)[:0], fv.lit...)
		}
	}
	return true
}

// maxFlatDepth is the deepest a raw member decodeFlat reads may nest:
// far below encoding/json's limit, far above the strict walk's (32).
const maxFlatDepth = 1000

// flatKind is how decodeFlat reads a field.
type flatKind uint8

const (
	flatString flatKind = iota
	flatInt
	flatBool
	flatRaw
	flatOther // any other: decodeFlat gives up when it is given
)

// flatPlan is a struct's fields as decodeFlat reads them, by member name.
type flatPlan struct {
	names  []string
	fields []flatField
}

type flatField struct {
	index int // in the struct
	kind  flatKind
	enum  bool // a string field of an enumeration's type (isEnum)
}

func (p *flatPlan) index(name []byte) int {
	for i, n := range p.names {
		if n == string(name) {
			return i
		}
	}
	return -1
}

// flatPlans holds one *flatPlan per struct type (nil: decodeFlat never
// decodes it), built on first use.
var flatPlans sync.Map

var (
	rawMessageType      = reflect.TypeFor[json.RawMessage]()
	numberType          = reflect.TypeFor[json.Number]()
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decodesItself reports whether encoding/json hands a value of type t to
// its own UnmarshalJSON or UnmarshalText.
func decodesItself(t reflect.Type) bool {
	return t.Implements(jsonUnmarshalerType) || reflect.PointerTo(t).Implements(jsonUnmarshalerType) ||
		t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType)
}

// flatPlanOf returns t's plan, or nil when t decodes itself or has a
// field decodeFlat does not place as encoding/json would: embedded, with
// the ",string" option, with a tag name of more than lower-case letters,
// digits and underscores, or named like another. A field of any other
// kind, decoding itself, or a json.Number (a string encoding/json checks
// is a number) is in the plan as flatOther: absent, it is left as it is,
// as encoding/json leaves it; given, decodeFlat gives up.
func flatPlanOf(t reflect.Type) *flatPlan {
	if p, ok := flatPlans.Load(t); ok {
		return p.(*flatPlan)
	}
	p := buildFlatPlan(t)
	actual, _ := flatPlans.LoadOrStore(t, p)
	return actual.(*flatPlan)
}

func buildFlatPlan(t reflect.Type) *flatPlan {
	if decodesItself(t) {
		return nil
	}
	p := &flatPlan{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			return nil
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "string") || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			return nil // encoding/json's own rules for these are not worth copying
		}
		if name == "" {
			name = f.Name
		}
		var kind flatKind
		switch ft := f.Type; {
		case ft == rawMessageType:
			kind = flatRaw
		case decodesItself(ft), ft == numberType:
			kind = flatOther
		case ft.Kind() == reflect.String:
			kind = flatString
		case ft.Kind() == reflect.Int || ft.Kind() == reflect.Int64 || ft.Kind() == reflect.Int32:
			kind = flatInt
		case ft.Kind() == reflect.Bool:
			kind = flatBool
		default:
			kind = flatOther
		}
		if p.index([]byte(name)) >= 0 {
			return nil
		}
		p.names = append(p.names, name)
		p.fields = append(p.fields, flatField{index: i, kind: kind, enum: kind == flatString && isEnum(f.Type)})
	}
	if len(p.names) > 64 {
		return nil
	}
	return p
}
