package events

import (
	"crypto/sha256"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
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
func decodeCanonical(data []byte) (Envelope, bool) {
	d := canonicalDecoder{s: string(data)} // one copy; decoded strings share it
	var env Envelope
	var e *entry
	var version int64
	ok := d.lit(`{"id":`) && d.uuid(&env.ID) &&
		d.lit(`,"stream":`) && d.str(&env.Stream) &&
		d.lit(`,"revision":`) && d.uint64(&env.Revision) &&
		d.lit(`,"type":`) && d.eventType(&e) &&
		d.lit(`,"schema_version":`) && d.int64(&version) && version == CurrentSchemaVersion &&
		d.lit(`,"occurred_at":`) && d.utcTime(&env.OccurredAt) &&
		d.lit(`,"actor":{"role":`) && d.str((*string)(&env.Actor.Role)) &&
		d.lit(`,"id":`) && d.str(&env.Actor.ID) &&
		d.lit(`},"command_id":`) && d.str(&env.CommandID) &&
		d.lit(`,"correlation_id":`) && d.str(&env.CorrelationID) &&
		d.lit(`,"payload":`) && d.payload(e, &env.Payload) &&
		d.lit(`,"prev_hash":`) && d.str(&env.PrevHash)
	if !ok {
		return Envelope{}, false
	}
	cut := d.pos // the body is data[:cut] followed by '}'
	if !d.lit(`,"hash":"`) || len(d.s)-d.pos != 64+2 || d.s[len(d.s)-2:] != `"}` {
		return Envelope{}, false
	}
	var stored [sha256.Size]byte
	if !lowerHexDecode(stored[:], d.s[d.pos:d.pos+64]) {
		return Envelope{}, false
	}
	h := sha256.New()
	h.Write(data[:cut])
	h.Write([]byte{'}'})
	var sum [sha256.Size]byte
	if [sha256.Size]byte(h.Sum(sum[:0])) != stored {
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

// uuid reads the canonical (lower-case, hyphenated) form of a UUID.
func (d *canonicalDecoder) uuid(id *uuid.UUID) bool {
	const n = len(`"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"`)
	if len(d.s)-d.pos < n || d.s[d.pos] != '"' || d.s[d.pos+n-1] != '"' {
		return false
	}
	text := d.s[d.pos+1 : d.pos+n-1]
	for i := range len(text) {
		switch c := text[i]; {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !isLowerHex(c):
			return false
		}
	}
	parsed, err := uuid.Parse(text)
	if err != nil {
		return false
	}
	*id = parsed
	d.pos += n
	return true
}

// str reads a JSON string spelled as encoding/json spells it (HTML-safe
// escaping). Unescaped strings are substrings of the input, not copies.
func (d *canonicalDecoder) str(out *string) bool {
	if d.pos >= len(d.s) || d.s[d.pos] != '"' {
		return false
	}
	start := d.pos + 1
	var buf []byte // nil until the first escape
	for i := start; i < len(d.s); {
		c := d.s[i]
		if c < utf8.RuneSelf {
			switch {
			case htmlSafe[c]:
				i++
			case c == '"':
				if buf == nil {
					*out = d.s[start:i]
				} else {
					*out = string(append(buf, d.s[start:i]...))
				}
				d.pos = i + 1
				return true
			case c == '\\':
				r, n := canonicalEscape(d.s[i:])
				if n == 0 {
					return false
				}
				if buf == nil {
					buf = make([]byte, 0, i-start+64)
				}
				buf = utf8.AppendRune(append(buf, d.s[start:i]...), r)
				i += n
				start = i
			default: // control characters and <, >, & must be escaped
				return false
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(d.s[i:])
		if r == utf8.RuneError && n == 1 || r == '\u2028' || r == '\u2029' {
			return false // never in canonical text: replaced or escaped
		}
		i += n
	}
	return false
}

// canonicalEscape decodes the escape sequence at the start of s if it is the
// one encoding/json writes for its character, and returns its length (0 if
// it is not).
func canonicalEscape(s string) (rune, int) {
	if len(s) < 2 {
		return 0, 0
	}
	switch s[1] {
	case '"', '\\':
		return rune(s[1]), 2
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'u':
		if len(s) < 6 {
			return 0, 0
		}
		var r rune
		for _, c := range []byte(s[2:6]) {
			if !isLowerHex(c) {
				return 0, 0
			}
			r = r<<4 | rune(hexValue(c))
		}
		switch {
		case r == '<' || r == '>' || r == '&' || r == '\u2028' || r == '\u2029':
			return r, 6
		case r < 0x20 && r != '\b' && r != '\f' && r != '\n' && r != '\r' && r != '\t':
			return r, 6
		}
	}
	return 0, 0
}

// digits returns the canonical decimal spelling of an unsigned number at
// the current position: no sign, no leading zero, no fraction or exponent.
func (d *canonicalDecoder) digits() (string, bool) {
	i := d.pos
	for i < len(d.s) && '0' <= d.s[i] && d.s[i] <= '9' {
		i++
	}
	n := d.s[d.pos:i]
	if n == "" || len(n) > 1 && n[0] == '0' {
		return "", false
	}
	if i < len(d.s) && (d.s[i] == '.' || d.s[i] == 'e' || d.s[i] == 'E') {
		return "", false
	}
	d.pos = i
	return n, true
}

func (d *canonicalDecoder) uint64(out *uint64) bool {
	n, ok := d.digits()
	if !ok {
		return false
	}
	var v uint64
	for _, c := range []byte(n) {
		if v > (1<<64-1)/10 || v*10 > 1<<64-1-uint64(c-'0') {
			return false
		}
		v = v*10 + uint64(c-'0')
	}
	*out = v
	return true
}

func (d *canonicalDecoder) int64(out *int64) bool {
	neg := d.pos < len(d.s) && d.s[d.pos] == '-'
	if neg {
		d.pos++
	}
	var u uint64
	if !d.uint64(&u) {
		return false
	}
	switch {
	case neg && u == 0:
		return false // encoding/json never writes -0
	case neg && u <= 1<<63:
		*out = int64(-u)
	case !neg && u < 1<<63:
		*out = int64(u)
	default:
		return false
	}
	return true
}

// timeText returns the text of a time string: RFC 3339 characters only, so
// no escape can hide in it (encoding/json passes the raw text to time).
func (d *canonicalDecoder) timeText() (string, bool) {
	if d.pos >= len(d.s) || d.s[d.pos] != '"' {
		return "", false
	}
	for i := d.pos + 1; i < len(d.s); i++ {
		switch c := d.s[i]; {
		case c == '"':
			text := d.s[d.pos+1 : i]
			d.pos = i + 1
			return text, true
		case '0' <= c && c <= '9', c == '-', c == ':', c == '.', c == '+', c == 'T', c == 'Z':
		default:
			return "", false
		}
	}
	return "", false
}

// time reads a time as encoding/json does (time.Time.UnmarshalJSON) and
// requires its text to be what time.Time.MarshalJSON writes back.
func (d *canonicalDecoder) time(out *time.Time) bool {
	text, ok := d.timeText()
	if !ok {
		return false
	}
	var t time.Time
	if t.UnmarshalText([]byte(text)) != nil || !sameTimeText(t, text) {
		return false
	}
	*out = t
	return true
}

// utcTime is time for the envelope's occurred_at, which the encoder writes
// in UTC.
func (d *canonicalDecoder) utcTime(out *time.Time) bool {
	if !d.time(out) {
		return false
	}
	return out.Location() == time.UTC
}

func sameTimeText(t time.Time, text string) bool {
	var buf [len(time.RFC3339Nano) + 8]byte
	b, err := t.AppendText(buf[:0])
	return err == nil && string(b) == text
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
	for i, m := range p.members {
		if i > 0 && !d.lit(",") {
			return false
		}
		if !d.lit(m.key) || !d.value(m.vt, v.FieldByIndex(m.index)) {
			return false
		}
	}
	return d.lit("}")
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
	// header is boxed per element.
	for n := 0; ; n++ {
		if n > 0 && !d.lit(",") {
			return false
		}
		v.Grow(1)
		v.SetLen(n + 1)
		if !d.value(vt.elem, v.Index(n)) {
			return false
		}
		if d.lit("]") {
			return true
		}
	}
}

// htmlSafe holds true for the ASCII bytes encoding/json writes unescaped in
// a string with HTML escaping on (its default): printable characters except
// ", \, <, > and &.
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = !strings.ContainsRune(`"\<>&`, rune(c))
	}
	return t
}()

func isLowerHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

func hexValue(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'a' + 10
}

// lowerHexDecode decodes len(dst)*2 lower-case hex digits.
func lowerHexDecode(dst []byte, src string) bool {
	if len(src) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, lo := src[2*i], src[2*i+1]
		if !isLowerHex(hi) || !isLowerHex(lo) {
			return false
		}
		dst[i] = hexValue(hi)<<4 | hexValue(lo)
	}
	return true
}
