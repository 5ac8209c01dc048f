package commands

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/disputes-ledger/disputes/domain"
)

// checkRawStringsByDecoderToken is checkRawStrings as it was written on
// encoding/json's Decoder.Token, before rawTokens replaced it: the oracle
// the fuzzer holds the faster walk to.
func checkRawStringsByDecoderToken(path string, raw []byte, target reflect.Type) error {
	type frame struct {
		object    bool
		expectKey bool
		key       string
		index     int
		members   *structMembers // nil: members unchecked
		seen      uint64         // the members met, by field index
		value     reflect.Type   // the type of the current member or item
	}
	var stack []frame
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
				b.WriteString(f.key)
			default:
				b.WriteString("." + f.key)
			}
		}
		return b.String()
	}
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].expectKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or malformed: the strict decoder says which
		}
		// The raw literal of a string token: Token has skipped the
		// whitespace and separator before it, none of which is a quote.
		literal := func() []byte {
			start := before + int64(bytes.IndexByte(raw[before:], '"'))
			return raw[start:dec.InputOffset()]
		}
		top := len(stack) - 1
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:top]
			valueDone()
			continue
		}
		if top >= 0 && stack[top].object && stack[top].expectKey {
			f := &stack[top]
			name, _ := tok.(string)
			f.key, f.expectKey = name, false
			if reason := rawStringProblem(literal()); reason != "" {
				return invalidField(fieldPath(), "member name "+reason)
			}
			if f.members != nil {
				i := f.members.index(name)
				if i < 0 {
					return invalidField(fieldPath(), f.members.unknown(name))
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
		switch tok := tok.(type) {
		case json.Delim: // '{' or '['
			f := frame{object: tok == '{', expectKey: tok == '{', index: -1}
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
		case string:
			if reason := rawStringProblem(literal()); reason != "" {
				return invalidField(fieldPath(), reason)
			}
			if tok == "" && isEnum(want) {
				return invalidField(fieldPath(), "is empty, which is none of its values: give one, or leave the member out")
			}
			valueDone()
		case nil:
			if top >= 0 {
				return invalidField(fieldPath(), "is null: give a value, or leave the member out")
			}
			valueDone()
		default:
			valueDone()
		}
	}
}

// rawCheckTargets are the types a body is checked against: the envelope
// of `disputes exec`, the HTTP API's body, every command's data, and none.
func rawCheckTargets() []reflect.Type {
	type apiBody struct {
		CommandID     string          `json:"command_id,omitempty"`
		CorrelationID string          `json:"correlation_id,omitempty"`
		Data          json.RawMessage `json:"data,omitempty"`
	}
	targets := []reflect.Type{reflect.TypeFor[*Request](), reflect.TypeFor[*apiBody](), nil}
	for _, c := range domain.Commands() {
		targets = append(targets, reflect.TypeOf(c))
	}
	return targets
}

// FuzzRawTokensMatchDecoderToken: on any input and for every target, the
// raw check refuses exactly what the walk on Decoder.Token refused, with
// the same field and reason, and accepts the rest.
func FuzzRawTokensMatchDecoderToken(f *testing.F) {
	for _, seed := range []string{
		`{"command_id":"c","ticket_id":"T","actor":{"role":"buyer","id":"b"},"command":"post_message","data":{"text":"hi"}}`,
		`{"data":{"order_id":"O-1","merchant_id":"m-1","kind":"refund_only","reason":"quality","currency":"CNY","amount_paid":5000,"requested":5000,"description":"屏幕碎了","order_shipped":true}}`,
		`{"data":{"items":[{"id":"e","kind":"photo","description":"a\u202e","sha256":"x","uri":"u"},null]}}`,
		"{\"te\xffxt\":\"hi\"}", `{"text":"\ud83d\ude00","Text":1}`, `{"text":"\udc00"}`, `{"a":1,}`, `[1,2,]`,
		`{"kind":""}`, `{"kind":"\u0072efund_only"}`, `{"\u0074ext":"x","text":"y"}`, `{"problem":""}`,
		`{} {"text":"\ud800"}`, `-0.5e+7 true false null "x"`, `{"amount_paid":01}`, `{"a":-}`, `{"a":1.}`, `{"a":1e}`,
		`{"a":tru}`, `{"a":truex}`, `{"a" "b"}`, `{"a"::1}`, `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["\xff"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
		"{\"a\":\"\t\"}", "{\"a\":\"\x01\"}", `{"a":"\x"}`, `{"a":"\u12G4"}`, `}`, ` `, ``, `null`, `{"data":null}`,
	} {
		f.Add([]byte(seed))
	}
	targets := rawCheckTargets()
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, target := range targets {
			got, want := checkRawStrings("data", raw, target), checkRawStringsByDecoderToken("data", raw, target)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%v on %q: rawTokens: %v; Decoder.Token: %v", target, raw, got, want)
			}
		}
	})
}
