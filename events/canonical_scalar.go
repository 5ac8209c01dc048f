package events

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Scalar readers of the canonical decoder: each accepts only the spelling
// encoding/json (or time, for times) writes for the value it reads.

// uuid reads the canonical (lower-case, hyphenated) form of a UUID, the
// only one the encoder writes.
func (d *canonicalDecoder) uuid(id *uuid.UUID) bool {
	const n = len(`"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"`)
	if len(d.s)-d.pos < n || d.s[d.pos] != '"' || d.s[d.pos+n-1] != '"' {
		return false
	}
	t := d.s[d.pos+1 : d.pos+n-1]
	if t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-' ||
		!lowerHexDecode(id[0:4], t[0:8]) || !lowerHexDecode(id[4:6], t[9:13]) ||
		!lowerHexDecode(id[6:8], t[14:18]) || !lowerHexDecode(id[8:10], t[19:23]) ||
		!lowerHexDecode(id[10:16], t[24:36]) {
		return false
	}
	d.pos += n
	return true
}

// str reads a JSON string spelled as encoding/json spells it (HTML-safe
// escaping). Unescaped strings are substrings of the input, not copies.
func (d *canonicalDecoder) str(out *string) bool {
	s := d.s
	if d.pos >= len(s) || s[d.pos] != '"' {
		return false
	}
	start := d.pos + 1
	// Most strings are printable ASCII needing no escape: one table lookup
	// per byte until the first byte that is anything else.
	i := start
	for i < len(s) && htmlSafe[s[i]] {
		i++
	}
	if i < len(s) && s[i] == '"' {
		*out = s[start:i]
		d.pos = i + 1
		return true
	}
	return d.strRest(out, start, i)
}

// strRest is str from i on, for a string holding escapes or non-ASCII
// text.
func (d *canonicalDecoder) strRest(out *string, start, i int) bool {
	s := d.s
	var buf []byte // nil until the first escape
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case htmlSafe[c]:
				i++
			case c == '"':
				if buf == nil {
					*out = s[start:i]
				} else {
					*out = string(append(buf, s[start:i]...))
				}
				d.pos = i + 1
				return true
			case c == '\\':
				r, n := canonicalEscape(s[i:])
				if n == 0 {
					return false
				}
				if buf == nil {
					buf = d.scratch[:0]
				}
				buf = utf8.AppendRune(append(buf, s[start:i]...), r)
				i += n
				start = i
			default: // control characters and <, >, & must be escaped
				return false
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
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
	if t, ok := utcTimeOf(text); ok {
		*out = t
		return true
	}
	// Any other spelling (an offset, say) is read and checked the long way.
	var t time.Time
	if t.UnmarshalText([]byte(text)) != nil || !sameTimeText(t, text) {
		return false
	}
	*out = t
	return true
}

// utcTimeOf reads the one spelling time.Time.MarshalText writes for a UTC
// time, "2006-01-02T15:04:05.999999999Z" (the fraction's trailing zeros
// left out, and with them an all-zero fraction's dot), into the time
// UnmarshalText reads from it. Any other text, even one UnmarshalText
// reads, returns false.
func utcTimeOf(text string) (time.Time, bool) {
	const short = len("2006-01-02T15:04:05Z")
	if len(text) < short || len(text) == short+1 || len(text) > short+10 ||
		text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
		text[len(text)-1] != 'Z' {
		return time.Time{}, false
	}
	year, ok1 := decimal(text[0:4])
	month, ok2 := decimal(text[5:7])
	day, ok3 := decimal(text[8:10])
	hour, ok4 := decimal(text[11:13])
	minute, ok5 := decimal(text[14:16])
	sec, ok6 := decimal(text[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	nsec := 0
	if frac := text[short-1 : len(text)-1]; frac != "" {
		digits := frac[1:]
		n, ok := decimal(digits)
		if frac[0] != '.' || !ok || digits[len(digits)-1] == '0' {
			return time.Time{}, false
		}
		for range 9 - len(digits) {
			n *= 10
		}
		nsec = n
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

// decimal reads a short run of decimal digits (at most 9), leading zeros
// allowed.
func decimal(s string) (int, bool) {
	n := 0
	for i := range len(s) {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int(c)
	}
	return n, true
}

// daysIn returns the number of days of a month of the proleptic Gregorian
// calendar, as time does.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
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

// htmlSafe holds true for the ASCII bytes encoding/json writes unescaped in
// a string with HTML escaping on (its default): printable characters except
// ", \, <, > and &. It covers every byte value (false from 0x80 on), so a
// scan needs no separate ASCII test.
var htmlSafe = func() (t [256]bool) {
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
	var bad byte // any digit's bit 4: set only by a byte that is not one
	for i := range dst {
		hi, lo := lowerHexValue[src[2*i]], lowerHexValue[src[2*i+1]]
		bad |= hi | lo
		dst[i] = hi<<4 | lo&0xf
	}
	return bad&0x10 == 0
}

// lowerHexValue maps a lower-case hex digit to its value and every other
// byte to 0x10.
var lowerHexValue = func() (t [256]byte) {
	for c := range t {
		t[c] = 0x10
		if isLowerHex(byte(c)) {
			t[c] = hexValue(byte(c))
		}
	}
	return t
}()
