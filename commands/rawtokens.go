package commands

// rawTokens reads a JSON text token by token as encoding/json's
// Decoder.Token does — the same tokens in the same order, a stream of
// top-level values included, and the first syntax error at the same token
// — but decodes nothing: a string token is its raw literal, quotes
// included. The strict check (checkRawStrings) walks every request body
// this way before it is decoded; Decoder.Token allocated for every token
// (a syntax error it made and discarded to find where each value ended,
// the unquoted string, the interface holding it), which made the check
// cost more than the decode it guards. Equivalence with Decoder.Token is
// tested against a walk built on it (FuzzRawTokensMatchDecoderToken).

// rawTokenKind is what a token is.
type rawTokenKind uint8

const (
	// tokStop ends the walk: the end of the input, or a syntax error,
	// which the strict decoder that follows reports.
	tokStop   rawTokenKind = iota
	tokOpen                // { or [
	tokClose               // } or ]
	tokKey                 // a member name
	tokString              // a string value
	tokNull                // null
	tokScalar              // a number, true or false
)

// rawToken is one token: its kind, whether a delimiter is an object's,
// and a string's raw literal.
type rawToken struct {
	kind   rawTokenKind
	object bool
	lit    []byte
}

// tokenState mirrors Decoder.Token's state: what may come next.
type tokenState uint8

const (
	stTopValue tokenState = iota
	stArrayStart
	stArrayValue
	stArrayComma
	stObjectStart
	stObjectKey
	stObjectColon
	stObjectValue
	stObjectComma
)

type rawTokens struct {
	data  []byte
	pos   int
	state tokenState
	// The states of the enclosing lists and objects, innermost last: the
	// first len(near) in near, which keeps the usual depths free of
	// allocations, the rest in far.
	depth int
	near  [16]tokenState
	far   []tokenState
}

func (t *rawTokens) push(s tokenState) {
	if t.depth < len(t.near) {
		t.near[t.depth] = s
	} else {
		t.far = append(t.far, s)
	}
	t.depth++
}

func (t *rawTokens) pop() tokenState {
	t.depth--
	if t.depth < len(t.near) {
		return t.near[t.depth]
	}
	s := t.far[len(t.far)-1]
	t.far = t.far[:len(t.far)-1]
	return s
}

func (t *rawTokens) valueAllowed() bool {
	switch t.state {
	case stTopValue, stArrayStart, stArrayValue, stObjectValue:
		return true
	}
	return false
}

func (t *rawTokens) valueEnd() {
	switch t.state {
	case stArrayStart, stArrayValue:
		t.state = stArrayComma
	case stObjectValue:
		t.state = stObjectComma
	}
}

var stop = rawToken{kind: tokStop}

// next returns the next token, or tokStop.
func (t *rawTokens) next() rawToken {
	for {
		for t.pos < len(t.data) && isJSONSpace(t.data[t.pos]) {
			t.pos++
		}
		if t.pos == len(t.data) {
			return stop
		}
		switch c := t.data[t.pos]; c {
		case '[', '{':
			if !t.valueAllowed() {
				return stop
			}
			t.pos++
			t.push(t.state)
			t.state = stArrayStart
			if c == '{' {
				t.state = stObjectStart
			}
			return rawToken{kind: tokOpen, object: c == '{'}
		case ']', '}':
			if c == ']' && t.state != stArrayStart && t.state != stArrayComma ||
				c == '}' && t.state != stObjectStart && t.state != stObjectComma {
				return stop
			}
			t.pos++
			t.state = t.pop()
			t.valueEnd()
			return rawToken{kind: tokClose, object: c == '}'}
		case ':':
			if t.state != stObjectColon {
				return stop
			}
			t.pos++
			t.state = stObjectValue
		case ',':
			switch t.state {
			case stArrayComma:
				t.state = stArrayValue
			case stObjectComma:
				t.state = stObjectKey
			default:
				return stop
			}
			t.pos++
		case '"':
			if t.state == stObjectStart || t.state == stObjectKey {
				end, ok := scanString(t.data, t.pos)
				if !ok {
					return stop
				}
				lit := t.data[t.pos:end]
				t.pos, t.state = end, stObjectColon
				return rawToken{kind: tokKey, lit: lit}
			}
			return t.scalar()
		default:
			return t.scalar()
		}
	}
}

// scalar reads a string, number or literal where a value may stand.
func (t *rawTokens) scalar() rawToken {
	if !t.valueAllowed() {
		return stop
	}
	start := t.pos
	tok := rawToken{kind: tokScalar}
	var (
		end int
		ok  bool
	)
	switch c := t.data[start]; {
	case c == '"':
		end, ok = scanString(t.data, start)
		tok.kind = tokString
	case c == '-' || c >= '0' && c <= '9':
		end, ok = scanNumber(t.data, start)
	case c == 't':
		end, ok = scanWord(t.data, start, "true")
	case c == 'f':
		end, ok = scanWord(t.data, start, "false")
	case c == 'n':
		end, ok = scanWord(t.data, start, "null")
		tok.kind = tokNull
	}
	if !ok {
		return stop
	}
	if tok.kind == tokString {
		tok.lit = t.data[start:end]
	}
	t.pos = end
	t.valueEnd()
	return tok
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// scanString returns the end of the string literal starting at data[i]
// (a quote), as encoding/json's scanner reads one: any byte but a control
// character, and the escapes \" \\ \/ \b \f \n \r \t \uXXXX. Invalid UTF-8
// passes here: it is checkRawStrings' to refuse.
func scanString(data []byte, i int) (int, bool) {
	for i++; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return 0, false
		case c == '\\':
			i++
			if i >= len(data) {
				return 0, false
			}
			switch data[i] {
			case 'b', 'f', 'n', 'r', 't', '\\', '/', '"':
			case 'u':
				if i+4 >= len(data) {
					return 0, false
				}
				for _, h := range data[i+1 : i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return 0, false
					}
				}
				i += 4
			default:
				return 0, false
			}
		}
	}
	return 0, false
}

// scanNumber returns the end of the number starting at data[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, ending at the first
// byte that cannot continue it (what follows is the next token's).
func scanNumber(data []byte, i int) (int, bool) {
	digits := func(i int) int {
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		return i
	}
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && data[i] >= '1' && data[i] <= '9':
		i = digits(i + 1)
	default:
		return 0, false
	}
	if i < len(data) && data[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}

// scanWord returns the end of the literal word at data[i].
func scanWord(data []byte, i int, word string) (int, bool) {
	if len(data)-i < len(word) || string(data[i:i+len(word)]) != word {
		return 0, false
	}
	return i + len(word), true
}
