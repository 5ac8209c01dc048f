package commands

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/disputes-ledger/disputes/domain"
)

// checkedAgrees reports, for data decoded into a new value of t, whether
// decodeFlatChecked took it, and fails t unless what it took the strict
// walk passes and decodeFlat decodes to the same value: the path that
// DecodeStrict and DecodeCommand take first must refuse nothing and
// accept nothing the walk and decodeFlat would not.
func checkedAgrees(tb testing.TB, data []byte, typ reflect.Type) bool {
	tb.Helper()
	cp := reflect.New(typ)
	if !decodeFlatChecked(data, cp.Interface()) {
		if !cp.Elem().IsZero() {
			tb.Fatalf("%s: %q given up on, but the value was changed", typ, data)
		}
		return false
	}
	if err := checkRawStrings("", data, typ); err != nil {
		tb.Fatalf("%s: decodeFlatChecked took %q, which the strict walk refuses: %v", typ, data, err)
	}
	fp := reflect.New(typ)
	if !decodeFlat(data, fp.Interface()) {
		tb.Fatalf("%s: decodeFlatChecked took %q, which decodeFlat leaves to encoding/json", typ, data)
	}
	if !reflect.DeepEqual(cp.Elem().Interface(), fp.Elem().Interface()) {
		tb.Fatalf("%s: %q decoded to\n%#v\nchecked, to\n%#v\nby decodeFlat", typ, data, cp.Elem().Interface(), fp.Elem().Interface())
	}
	return true
}

// FuzzDecodeFlatCheckedOnlyTakesWhatTheWalkPasses holds decodeFlatChecked
// to checkRawStrings followed by decodeFlat, for every target.
//
//	go test -run '^$' -fuzz FuzzDecodeFlatCheckedOnlyTakesWhatTheWalkPasses ./commands/
func FuzzDecodeFlatCheckedOnlyTakesWhatTheWalkPasses(f *testing.F) {
	for _, seed := range flatCases {
		f.Add([]byte(seed.data))
	}
	for _, seed := range checkedCases {
		f.Add([]byte(seed.data))
	}
	targets := flatTargets()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, typ := range targets {
			checkedAgrees(t, data, typ)
		}
	})
}

// checkedCases are bodies that decodeFlat takes and the strict walk
// refuses (or might: an escape it would read), which decodeFlatChecked
// must leave to the two of them, and a few it takes.
var checkedCases = []struct {
	data  string
	typ   reflect.Type
	taken bool
}{
	{`{"data":{"order_id":"O-1","amount_paid":5000,"order_shipped":true,"items":[{"a":[1,2]}]}}`, reflect.TypeFor[flatBody](), true},
	{`{"kind":"refund_only","reason":"quality","description":"屏幕碎了"}`, reflect.TypeFor[domain.OpenTicket](), true},
	{`{"kind":""}`, reflect.TypeFor[domain.OpenTicket](), false},
	{`{"reason":""}`, reflect.TypeFor[domain.OpenTicket](), false},
	{`{"description":"","order_id":""}`, reflect.TypeFor[domain.OpenTicket](), true}, // not enumerations
	{`{"data":{"a":null}}`, reflect.TypeFor[flatBody](), false},
	{`{"data":[1,null]}`, reflect.TypeFor[flatBody](), false},
	{`{"data":{"a":"` + "\xff" + `"}}`, reflect.TypeFor[flatBody](), false},
	{`{"data":{"` + "\xff" + `":1}}`, reflect.TypeFor[flatBody](), false},
	{`{"data":{"a":"\ud800"}}`, reflect.TypeFor[flatBody](), false},
	{`{"data":{"\udc00":1}}`, reflect.TypeFor[flatBody](), false},
	{`{"data":{"a":"\u00e9"}}`, reflect.TypeFor[flatBody](), false}, // harmless, but an escape
	{`{"data":` + strings.Repeat("[", maxNesting) + strings.Repeat("]", maxNesting) + `}`, reflect.TypeFor[flatBody](), false},
	{`{"data":` + strings.Repeat("[", maxCheckedDepth) + strings.Repeat("]", maxCheckedDepth) + `}`, reflect.TypeFor[flatBody](), true},
	{`{"data":` + strings.Repeat("[", maxCheckedDepth+1) + strings.Repeat("]", maxCheckedDepth+1) + `}`, reflect.TypeFor[flatBody](), false},
}

// TestDecodeFlatCheckedLeavesWhatTheWalkRefuses: every body decodeFlat
// takes but the strict walk refuses is left to the two of them, so
// that DecodeStrict's refusal is the same.
func TestDecodeFlatCheckedLeavesWhatTheWalkRefuses(t *testing.T) {
	for _, tc := range checkedCases {
		assert.Equal(t, tc.taken, checkedAgrees(t, []byte(tc.data), tc.typ), "%s into %s", tc.data, tc.typ)
	}
	for _, tc := range flatCases {
		for _, typ := range flatTargets() {
			checkedAgrees(t, []byte(tc.data), typ)
		}
	}
}

// TestDecodeStrictRefusesAsTheWalkDoes: through DecodeStrict and
// DecodeCommand, what the walk refuses is refused with its own error.
func TestDecodeStrictRefusesAsTheWalkDoes(t *testing.T) {
	for _, tc := range []struct{ data, err string }{
		{`{"data":{"a":null}}`, "data.a: is null"},
		{`{"data":{"a":"\ud800"}}`, "data.a: escapes half of a UTF-16 surrogate pair"},
		{`{"data":` + strings.Repeat("[", maxNesting) + strings.Repeat("]", maxNesting) + `}`, "nests objects and lists deeper than 32 levels"},
	} {
		err := DecodeStrict("body", []byte(tc.data), &flatBody{})
		if assert.Error(t, err, tc.data) {
			assert.Contains(t, err.Error(), tc.err, tc.data)
		}
	}
	_, err := DecodeCommand("open_ticket", []byte(`{"kind":""}`))
	if assert.Error(t, err) {
		assert.Contains(t, err.Error(), "data.kind")
		assert.Contains(t, err.Error(), "is empty")
	}
}
