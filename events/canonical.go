package events

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strings"
	"time"
)

// decodeCanonical is Decode's fast path. It reads data in the one order and
// spelling the encoder writes, so that reading the bytes also proves they
// are canonical: every member in its place, every string escaped exactly as
// encoding/json escapes it (and nothing more), every number and time written
// as the encoder would write it back. It then checks the hash over the input
// bytes themselves, with no second encoding.
//
// It answers only "yes, here is the envelope" or "not sure": on false the
// caller runs the strict path, which decides and explains. The fast path may
// therefore leave rare spellings to the strict path, but must never accept
// bytes the strict path refuses (see the differential fuzz test).
//
// text holds data's bytes (a copy, or data itself when the caller gave it
// up); the decoded strings share it.
func decodeCanonical(data []byte, text string) (Envelope, bool) {
	d := canonicalDecoder{s: text}
	var env Envelope
	var e *entry
	var version int64
	ok := d.lit(`{"id":`) && d.uuid(&env.ID) && isV7(env.ID) &&
		d.lit(`,"stream":`) && d.str(&env.Stream) &&
		d.lit(`,"revision":`) && d.uint64(&env.Revision) &&
		d.lit(`,"type":`) && d.eventType(&e) &&
		d.lit(`,"schema_version":`) && d.int64(&version) && version >= 1 && version <= int64(e.version) &&
		d.lit(`,"occurred_at":`) && d.utcTime(&env.OccurredAt) &&
		d.lit(`,"actor":{"role":`) && d.str((*string)(&env.Actor.Role)) &&
		d.lit(`,"id":`) && d.str(&env.Actor.ID) &&
		d.lit(`},"command_id":`) && d.str(&env.CommandID) &&
		d.fingerprint(&env.CommandFingerprint) &&
		d.lit(`,"correlation_id":`) && d.str(&env.CorrelationID) &&
		d.lit(`,"payload":`) && d.payload(e, &env.Payload) &&
		d.lit(`,"prev_hash":`) && d.str(&env.PrevHash) &&
		e.readable(int(version), env.Payload)
	if !ok {
		return Envelope{}, false
	}
	cut := d.pos // the body is data[:cut] followed by '}'
	if !d.lit(`,"hash":"`) || len(d.s)-d.pos != 64+2 || d.s[len(d.s)-2:] != `"}` {
		return Envelope{}, false
	}
	h := sha256.New()
	h.Write(data[:cut])
	h.Write([]byte{'}'})
	var sum [sha256.Size]byte
	var want [2 * sha256.Size]byte
	// The stored text must be the lower-case hex of the sum: comparing it
	// with the sum's encoding checks both at once, with no branch per digit.
	hex.Encode(want[:], h.Sum(sum[:0]))
	if string(want[:]) != d.s[d.pos:d.pos+64] {
		return Envelope{}, false
	}
	env.Type, env.SchemaVersion, env.Hash = e.name, int(version), d.s[d.pos:d.pos+64]
	return env, true
}

// canonicalDecoder reads a string positionally. Every method returns false,
// leaving its output unspecified, as soon as the input is not exactly what
// the encoder would have written.
type canonicalDecoder struct {
	s   string
	pos int
	// scratch backs the unescaping of one string at a time (copied out as
	// its own string), so that an escape costs no buffer of its own.
	scratch [128]byte
}

func (d *canonicalDecoder) lit(want string) bool {
	if !strings.HasPrefix(d.s[d.pos:], want) {
		return false
	}
	d.pos += len(want)
	return true
}

func (d *canonicalDecoder) eventType(e **entry) bool {
	var name string
	if !d.str(&name) {
		return false
	}
	*e = registry[name]
	return *e != nil && (*e).plan != nil
}

// fingerprint reads the optional command_fingerprint member. The encoder
// omits it when empty, so a present but empty one is not canonical.
func (d *canonicalDecoder) fingerprint(out *string) bool {
	if !d.lit(`,"command_fingerprint":`) {
		return true
	}
	return d.str(out) && *out != ""
}

func (d *canonicalDecoder) null() bool { return d.lit("null") }

// payload reads the payload of e's type into out.
func (d *canonicalDecoder) payload(e *entry, out *Payload) bool {
	v := reflect.New(e.typ).Elem()
	if !d.object(e.plan, v) {
		return false
	}
	*out = v.Interface().(Payload)
	return true
}

func (d *canonicalDecoder) object(p *plan, v reflect.Value) bool {
	if !d.lit("{") {
		return false
	}
	written := 0 // members read so far: each but the first follows a comma
	for _, m := range p.members {
		if m.omitEmpty && !d.present(written > 0, m.key) {
			continue // left out, so empty
		}
		if written > 0 && !d.lit(",") {
			return false
		}
		if !d.lit(m.key) || !d.value(m.vt, v.FieldByIndex(m.index)) {
			return false
		}
		if m.omitEmpty && v.FieldByIndex(m.index).Len() == 0 {
			return false // encoding/json would have left it out
		}
		written++
	}
	return d.lit("}")
}

// present reports whether the next member is key (after a comma if
// comma), without consuming it.
func (d *canonicalDecoder) present(comma bool, key string) bool {
	rest := d.s[d.pos:]
	if comma {
		if !strings.HasPrefix(rest, ",") {
			return false
		}
		rest = rest[1:]
	}
	return strings.HasPrefix(rest, key)
}

// value reads one value of type vt into the settable v.
func (d *canonicalDecoder) value(vt *valueType, v reflect.Value) bool {
	switch vt.kind {
	case kindString:
		var s string
		if !d.str(&s) {
			return false
		}
		v.SetString(s)
	case kindBool:
		switch {
		case d.lit("true"):
			v.SetBool(true)
		case d.lit("false"):
			v.SetBool(false)
		default:
			return false
		}
	case kindInt:
		var n int64
		if !d.int64(&n) || v.OverflowInt(n) {
			return false
		}
		v.SetInt(n)
	case kindUint:
		var n uint64
		if !d.uint64(&n) || v.OverflowUint(n) {
			return false
		}
		v.SetUint(n)
	case kindTime:
		return d.time(v.Addr().Interface().(*time.Time))
	case kindStruct:
		return d.object(vt.plan, v)
	case kindPointer:
		if d.null() {
			return true // v is a fresh zero value: nil already
		}
		p := reflect.New(vt.elem.typ)
		if !d.value(vt.elem, p.Elem()) {
			return false
		}
		v.Set(p)
	case kindSlice:
		return d.slice(vt, v)
	default:
		return false
	}
	return true
}

// slice reads null (a nil slice), [] (an empty one) or elements, as
// encoding/json decodes and re-encodes them.
func (d *canonicalDecoder) slice(vt *valueType, v reflect.Value) bool {
	if d.null() {
		return true
	}
	if !d.lit("[") {
		return false
	}
	if d.lit("]") {
		v.Set(reflect.MakeSlice(vt.typ, 0, 0))
		return true
	}
	// v is an addressable, nil slice: grow it in place, so that no slice
	// header is boxed per element. Room for two at first: most slices of
	// the catalogue hold one or two elements, which then cost one
	// allocation.
	for n := 0; ; n++ {
		if n > 0 && !d.lit(",") {
			return false
		}
		if n == v.Cap() {
			v.Grow(max(n, 2))
		}
		v.SetLen(n + 1)
		if !d.value(vt.elem, v.Index(n)) {
			return false
		}
		if d.lit("]") {
			return true
		}
	}
}
