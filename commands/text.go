package commands

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Text is refused, never rewritten (issue 11, finding 5). encoding/json
// replaces invalid UTF-8 and lone surrogate escapes with U+FFFD while
// decoding, so a stored text would silently differ from what was sent;
// checkRawStrings therefore reads the raw bytes before anything is
// decoded. After decoding, checkText refuses the characters that make a
// text show other than it reads: NUL and other control characters, and the
// bidirectional formatting characters of the "Trojan Source" class
// (CVE-2021-42574), which can make a message or a ruling's rationale read
// differently in the operators' tools than what is recorded.

// maxNesting bounds how deep objects and lists may nest in a request. No
// command needs more than a few levels; the bound keeps a hostile body's
// cost (and the field path a refusal names) small.
const maxNesting = 32

// checkRawStrings reads the JSON value raw once, token by token, and
// refuses a string — a value or a member name — that is not valid UTF-8
// or escapes half of a UTF-16 surrogate pair, naming the field (path, then
// members and [indices]). It also refuses what encoding/json would
// silently accept (issue 11): in an object decoded into a struct of
// target's type, a member name that is not the exact-case name of one of
// its fields (the decoder matches names case-insensitively) and a member
// name that appears twice (the decoder keeps the last), so that no reader
// of the body can take it for a different request from the one recorded.
// A member or an item that is null is refused: encoding/json would leave
// the field as it was, so null would read as absent (or, in a list, as a
// zero item), and the API's document has no nullable field; and so is the
// empty string as an enumeration's value (isEnum).
// An object whose target is opaque (json.RawMessage, a type decoding
// itself) or mistyped is not checked for members: it is either walked
// again with its own type (a command's data) or refused by the decoder.
// The walk is linear in the input: a deeply nested body costs no more than
// a flat one. Malformed JSON is left to the strict decoder that follows,
// which reports it.
func checkRawStrings(path string, raw []byte, target reflect.Type) error {
	type frame struct {
		object    bool
		expectKey bool
		key       []byte // the current member's name, its raw literal
		index     int
		members   *structMembers // nil: members unchecked
		seen      uint64         // the members met, by field index
		value     reflect.Type   // the type of the current member or item
	}
	// Room for the usual depth (a body, its data, a list of items, an item)
	// without an allocation; deeper inputs grow it.
	var room [4]frame
	stack := room[:0]
	// fieldPath is built once, when a problem is found, in one builder:
	// joining step by step would copy the path once per level.
	fieldPath := func() string {
		var b strings.Builder
		b.WriteString(path)
		for _, f := range stack {
			switch {
			case !f.object:
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
			case b.Len() == 0:
				b.WriteString(unquoteName(f.key))
			default:
				b.WriteString("." + unquoteName(f.key))
			}
		}
		return b.String()
	}
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].expectKey = true
		}
	}
	toks := rawTokens{data: raw}
	for {
		tok := toks.next()
		if tok.kind == tokStop {
			return nil // the end, or malformed: the strict decoder says which
		}
		top := len(stack) - 1
		if tok.kind == tokClose {
			stack = stack[:top]
			valueDone()
			continue
		}
		if top >= 0 && stack[top].object && stack[top].expectKey {
			f := &stack[top]
			f.key, f.expectKey = tok.lit, false
			if reason := rawStringProblem(tok.lit); reason != "" {
				return invalidField(fieldPath(), "member name "+reason)
			}
			if f.members != nil {
				i := f.members.indexLiteral(tok.lit)
				if i < 0 {
					return invalidField(fieldPath(), f.members.unknown(unquoteName(tok.lit)))
				}
				if f.seen&(1<<i) != 0 {
					return invalidField(fieldPath(), "appears twice in one object")
				}
				f.seen |= 1 << i
				f.value = f.members.types[i]
			}
			continue
		}
		var want reflect.Type // the type this value decodes into, if known
		switch {
		case top < 0:
			want = target
		case stack[top].object:
			want = stack[top].value
		default:
			stack[top].index++
			want = stack[top].value
		}
		switch tok.kind {
		case tokOpen:
			f := frame{object: tok.object, expectKey: tok.object, index: -1}
			want = transparent(want)
			switch {
			case want == nil:
			case f.object && want.Kind() == reflect.Struct:
				f.members = membersOf(want)
			case !f.object && (want.Kind() == reflect.Slice || want.Kind() == reflect.Array):
				f.value = want.Elem()
			}
			if len(stack) == maxNesting {
				return invalidField(fieldPath(), fmt.Sprintf("nests objects and lists deeper than %d levels", maxNesting))
			}
			stack = append(stack, f)
		case tokString:
			if reason := rawStringProblem(tok.lit); reason != "" {
				return invalidField(fieldPath(), reason)
			}
			if len(tok.lit) == 2 && isEnum(want) { // "": no escape spells nothing
				return invalidField(fieldPath(), "is empty, which is none of its values: give one, or leave the member out")
			}
			valueDone()
		case tokNull:
			if top >= 0 {
				return invalidField(fieldPath(), "is null: give a value, or leave the member out")
			}
			valueDone()
		default:
			valueDone()
		}
	}
}

// unquoteName returns the member name a raw literal spells, as
// encoding/json decodes it (escapes resolved, invalid UTF-8 replaced by
// U+FFFD, as a refusal names it).
func unquoteName(lit []byte) string {
	if plainLiteral(lit) {
		return string(lit[1 : len(lit)-1])
	}
	var name string
	_ = json.Unmarshal(lit, &name) // a literal the walk read whole: it decodes
	return name
}

// plainLiteral reports whether a raw string literal spells its text as
// it stands between its quotes: no escape, nothing but ASCII.
func plainLiteral(lit []byte) bool {
	for _, c := range lit {
		if c == '\\' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// isEnum reports whether t is an enumeration: a named string type (an
// event vocabulary, a role, a deadline kind), none of whose values is
// empty. Its zero value means "not given", so "" given outright is refused
// rather than read as absent (issue 16, item 17: the OpenAPI document's
// enums do not hold "").
func isEnum(t reflect.Type) bool {
	return t != nil && t.Kind() == reflect.String && t.PkgPath() != ""
}

// rawStringProblem says what is wrong with a raw JSON string literal
// (quotes included), or "" if nothing is.
func rawStringProblem(lit []byte) string {
	const halfPair = "escapes half of a UTF-16 surrogate pair (not a character)"
	if !utf8.Valid(lit) {
		return "is not valid UTF-8"
	}
	body := lit[1 : len(lit)-1]
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		i++ // the escaped character
		if i >= len(body) || body[i] != 'u' {
			continue
		}
		r, ok := hex4(body[i+1:])
		if !ok || !utf16.IsSurrogate(r) {
			continue
		}
		i += 4 // the last hex digit
		if r >= 0xdc00 {
			return halfPair // a low half with no high half before it
		}
		rest := body[i+1:]
		if len(rest) >= 6 && rest[0] == '\\' && rest[1] == 'u' {
			if lo, ok := hex4(rest[2:]); ok && lo >= 0xdc00 && lo <= 0xdfff {
				i += 6
				continue
			}
		}
		return halfPair
	}
	return ""
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 16)
	return rune(n), err == nil
}

// checkText refuses characters that are not text: NUL and the other C0
// controls (in free text, newline and tab are allowed; in ids nothing),
// DEL and the C1 controls, and the bidirectional formatting characters —
// embeddings and overrides U+202A–U+202E, isolates U+2066–U+2069, and the
// marks U+200E, U+200F and U+061C, which a text here never needs (Chinese
// and Latin text run left to right; right-to-left scripts show correctly
// without them).
func checkText(path []byte, s string, id bool) error {
	for i, r := range s {
		if !refused(r, id) {
			continue
		}
		what := "a control character"
		switch {
		case r == 0:
			what = "NUL"
		case r > 0x9f:
			what = "a bidirectional formatting character"
		}
		return invalidField(string(path), fmt.Sprintf("holds %s (%U) at byte %d", what, r, i))
	}
	return nil
}

// runeRange is the characters from lo to hi, both included.
type runeRange struct{ lo, hi rune }

// refusedRanges are the characters checkText refuses: in ids, every C0
// control; in free text, all but tab and newline.
func refusedRanges(id bool) []runeRange {
	c0 := []runeRange{{0x00, 0x08}, {0x0b, 0x1f}}
	if id {
		c0 = []runeRange{{0x00, 0x1f}}
	}
	return append(c0, runeRange{0x7f, 0x9f}, runeRange{0x061c, 0x061c}, runeRange{0x200e, 0x200f},
		runeRange{0x202a, 0x202e}, runeRange{0x2066, 0x2069})
}

func refused(r rune, id bool) bool {
	if r >= 0x20 && r < 0x7f { // the common case first
		return false
	}
	for _, rg := range refusedRanges(id) {
		if r >= rg.lo && r <= rg.hi {
			return true
		}
	}
	return false
}

// TextPattern returns a regular expression (ECMA 262, as JSON Schema's
// pattern has it) that matches exactly the strings checkText lets through:
// free text, or with id an id field of a command's data. The OpenAPI
// document states it for every string of a command.
func TextPattern(id bool) string {
	var b strings.Builder
	b.WriteString("^[^")
	for _, rg := range refusedRanges(id) {
		fmt.Fprintf(&b, `\u%04X`, rg.lo)
		if rg.hi != rg.lo {
			fmt.Fprintf(&b, `-\u%04X`, rg.hi)
		}
	}
	b.WriteString("]*$")
	return b.String()
}
