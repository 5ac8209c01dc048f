package commands

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// flatBody has the HTTP API's command body's shape (edge/httpapi's
// commandBody): decodeFlat's other common target besides a command.
type flatBody struct {
	CommandID     string          `json:"command_id,omitempty"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	Data          json.RawMessage `json:"data,omitempty"`
}

// flatTargets are the types decodeFlat is held to encoding/json on: the
// command body, the JSON-lines request (which has a member decodeFlat
// gives up on) and every command.
func flatTargets() []reflect.Type {
	out := []reflect.Type{reflect.TypeFor[flatBody](), reflect.TypeFor[Request]()}
	for _, c := range domain.Commands() {
		out = append(out, reflect.TypeOf(c))
	}
	return out
}

// decodeBoth decodes data into a new value of t with decodeFlat and with
// encoding/json as DecodeStrict did before decodeFlat (a decoder refusing
// unknown fields, then nothing but whitespace after the value), after the
// strict walk that precedes both. ran is false when the walk refused data.
func decodeBoth(data []byte, t reflect.Type) (ran, flat bool, flatV, jsonV any, jsonErr error) {
	if checkRawStrings("", data, t) != nil {
		return false, false, nil, nil, nil
	}
	fp, jp := reflect.New(t), reflect.New(t)
	flat = decodeFlat(data, fp.Interface())
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	jsonErr = dec.Decode(jp.Interface())
	if jsonErr == nil && !events.NothingAfter(dec, data) {
		jsonErr = assert.AnError // trailing data: refused either way
	}
	return true, flat, fp.Elem().Interface(), jp.Elem().Interface(), jsonErr
}

// FuzzDecodeFlatAgreesWithTheDecoder: whatever decodeFlat accepts,
// encoding/json accepts too, into an equal value, for every target.
//
//	go test -run '^$' -fuzz FuzzDecodeFlatAgreesWithTheDecoder ./commands/
func FuzzDecodeFlatAgreesWithTheDecoder(f *testing.F) {
	for _, seed := range flatCases {
		f.Add([]byte(seed.data))
	}
	targets := flatTargets()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, typ := range targets {
			ran, flat, flatV, jsonV, jsonErr := decodeBoth(data, typ)
			if !ran || !flat {
				continue
			}
			if jsonErr != nil {
				t.Fatalf("%s: decodeFlat accepted %q, encoding/json refused it: %v", typ, data, jsonErr)
			}
			if !reflect.DeepEqual(flatV, jsonV) {
				t.Fatalf("%s: %q decoded to\n%#v\nby decodeFlat, to\n%#v\nby encoding/json", typ, data, flatV, jsonV)
			}
		}
	})
}

// flatCases are bodies and command data, each with whether decodeFlat
// decodes it into flatBody or OpenTicket (which): the fast path's common
// shapes, and what it leaves to encoding/json.
var flatCases = []struct {
	data  string
	which string // "body", "open", "both" or "" for neither
}{
	{`{"data":{"order_id":"O-1","merchant_id":"m-1","amount_paid":5000,"order_shipped":true}}`, "body"},
	{` {"command_id":"c-1", "correlation_id" : "k" ,"data":{"a":[1,{"b":"}"}],"c":"\""}} ` + "\n", "body"},
	{`{"data":[1,2]}`, "body"},
	{`{}`, "both"},
	{`{"order_id":"O-1","merchant_id":"m-1","kind":"refund_only","reason":"quality","currency":"CNY","amount_paid":5000,"requested":5000,"description":"屏幕碎了 screen cracked","order_shipped":true}`, "open"},
	{`{"amount_paid":-0,"order_shipped":false}`, "open"},
	{`{"amount_paid":9007199254740993}`, "open"},
	// Left to encoding/json.
	{`{"data":null}`, ""},
	{`{"data":"x"}`, ""},
	{`{"data":1}`, ""},
	{`{"data":{}}]`, ""},
	{`{"data":{}}}`, ""},
	{`{"data":{}} {"data":{}}`, ""},
	{`{"data":{}}x`, ""},
	{`{"data":{"a":}}`, ""},
	{`{"data":{"a":1}`, ""},
	{`{"d\u0061ta":{}}`, ""},
	{`{"Data":{}}`, ""},
	{`{"data":{},"data":{}}`, ""},
	{`{"command_id":"c\"1"}`, ""},
	{`{"command_id":"c\u00e91"}`, ""},
	{`{"command_id":1}`, ""},
	{`{"command_id":true}`, ""},
	{`{"command_id":"` + "\xff" + `"}`, ""},
	{`{"unknown":"x"}`, ""},
	{`[]`, ""},
	{`null`, ""},
	{``, ""},
	{`{"amount_paid":1e3}`, ""},
	{`{"amount_paid":1.0}`, ""},
	{`{"amount_paid":99999999999999999999}`, ""},
	{`{"amount_paid":"5000"}`, ""},
	{`{"amount_paid":true}`, ""},
	{`{"order_shipped":1}`, ""},
	{`{"order_shipped":"true"}`, ""},
	{`{"description":"a\nb"}`, ""},
	{`{"description":{"x":1}}`, ""},
	{`{"order_id":"O-1","order_id":"O-2"}`, ""},
	{`{"Order_ID":"O-1"}`, ""},
	// Adversarial: what a client might send hoping the two decoders part.
	{`{"amount_paid":-9223372036854775808}`, "open"},
	{`{"amount_paid":9223372036854775807}`, "open"},
	{`{"amount_paid":9223372036854775808}`, ""},
	{`{"amount_paid":-9223372036854775809}`, ""},
	{`{"amount_paid":00}`, ""},
	{`{"amount_paid":01}`, ""},
	{`{"amount_paid":+1}`, ""},
	{`{"amount_paid":-}`, ""},
	{`{"amount_paid":-0.0}`, ""},
	{`{"amount_paid":1E2}`, ""},
	{`{"amount_paid":0x10}`, ""},
	{`{"amount_paid":1_000}`, ""},
	{`{"order_shipped":True}`, ""},
	{`{"order_shipped":truee}`, ""},
	{`{"order_shipped":null}`, ""},
	{`{"order_id":null}`, ""},
	{"\t\r\n{\t\"order_id\"\r:\n\"O-1\"\t,\"amount_paid\"\n:\r5000\t}\r\n", "open"},
	{"\f{\"order_id\":\"O-1\"}", ""},
	{"\v{\"order_id\":\"O-1\"}", ""},
	{"\u00a0{\"order_id\":\"O-1\"}", ""},
	{"\ufeff{\"order_id\":\"O-1\"}", ""},
	{`{"order_id":"O-1"}` + "\x00", ""},
	{`{"order_id":"O` + "\x00" + `1"}`, ""},
	{`{"order_id":"O\u00001"}`, ""},
	{`{"order_id":"O` + "\x1f" + `1"}`, ""},
	{`{"order_id":"O` + "\x7f" + `1"}`, "open"},
	{`{"description":"` + "\u2028\u2029\ufffe" + `"}`, "open"},
	{`{"order_id":"` + "\xed\xa0\x80" + `"}`, ""},     // a surrogate half, UTF-8 encoded
	{`{"order_id":"` + "\xc0\xaf" + `"}`, ""},         // an overlong encoding
	{`{"order_id":"` + "\xf4\x90\x80\x80" + `"}`, ""}, // past U+10FFFF
	{`{"order_id":"a","ORDER_ID":"b"}`, ""},
	{`{"ORDER_ID":"b","order_id":"a"}`, ""},
	{`{"order_id":"a","order_Id":"b"}`, ""},
	{`{"order_` + "\u017f" + `d":"a"}`, ""}, // ſ folds to s in encoding/json's matching
	{`{"order_id":"a","order_id ":"b"}`, ""},
	{`{"command_id":"c-1","Command_ID":"c-2","data":{}}`, ""},
	{`{"data":{"a":[}]}}`, ""},
	{`{"data":[{]}]}`, ""},
	{`{"data":{"a":1,}}`, ""},
	{`{"data":[1,]}`, ""},
	{`{"data":{"a" 1}}`, ""},
	{`{"data":{"a":"` + "\xff" + `"}}`, "body"},
	{`{"data":{"a":{"b":{"c":[[[]]]}}},"command_id":"c"}`, "body"},
	{`{"data":{"data":{}}}`, "body"},
	{`{"data":{"order_id":"a","ORDER_ID":"b"}}`, "body"},
}

// TestDecodeFlatTakesWhatItIsSureOf: decodeFlat decodes the common shapes
// (each into the same value as encoding/json) and leaves the rest —
// escapes, other types, numbers that are not plain integers, trailing
// data, duplicate or unknown members — to encoding/json, whatever that
// then decides.
func TestDecodeFlatTakesWhatItIsSureOf(t *testing.T) {
	for _, tc := range flatCases {
		for which, typ := range map[string]reflect.Type{"body": reflect.TypeFor[flatBody](), "open": reflect.TypeFor[domain.OpenTicket]()} {
			fp := reflect.New(typ)
			took := decodeFlat([]byte(tc.data), fp.Interface())
			assert.Equal(t, tc.which == which || tc.which == "both", took, "%s into %s", tc.data, which)
			ran, flat, flatV, jsonV, jsonErr := decodeBoth([]byte(tc.data), typ)
			if ran && flat {
				require.NoError(t, jsonErr, tc.data)
				assert.Equal(t, jsonV, flatV, tc.data)
			}
			if !took {
				assert.True(t, fp.Elem().IsZero(), "%s into %s: a value given up on is left as it was", tc.data, which)
			}
		}
	}
}

// TestDecodeFlatPlans: the structs decodeFlat reads, and those it leaves
// whole to encoding/json.
func TestDecodeFlatPlans(t *testing.T) {
	assert.NotNil(t, flatPlanOf(reflect.TypeFor[flatBody]()))
	assert.NotNil(t, flatPlanOf(reflect.TypeFor[domain.OpenTicket]()))
	for name, typ := range map[string]reflect.Type{
		"embedded": reflect.TypeFor[struct{ flatBody }](),
		",string": reflect.TypeFor[struct {
			N int64 `json:"n,string"`
		}](),
		"one name twice": reflect.StructOf([]reflect.StructField{{Name: "A", Type: reflect.TypeFor[string](), Tag: `json:"a"`},
			{Name: "B", Type: reflect.TypeFor[string](), Tag: `json:"a"`}}),
		"a tag with dots": reflect.TypeFor[struct {
			A string `json:"a.b"`
		}](),
		"decodes itself": reflect.TypeFor[textStruct](),
	} {
		assert.Nil(t, flatPlanOf(typ), name)
	}
	// Members of other kinds are given up on when given, left as they are
	// when absent.
	for name, tc := range map[string]struct {
		v    any
		data string
	}{
		"a list":         {new(domain.SubmitEvidence), `{"items":[]}`},
		"a pointer":      {new(struct{ P *string }), `{"P":"x"}`},
		"decodes itself": {new(struct{ T textName }), `{"T":"x"}`},
		"a uint":         {new(struct{ U uint64 }), `{"U":1}`},
		"a time":         {new(domain.OpenTicket), `{"delivered_at":"2026-12-03T00:00:00Z"}`},
	} {
		assert.False(t, decodeFlat([]byte(tc.data), tc.v), name)
		assert.True(t, decodeFlat([]byte(`{}`), tc.v), name+", absent")
	}
	var many strings.Builder
	many.WriteString(`{`)
	for i := range 17 {
		if i > 0 {
			many.WriteString(",")
		}
		many.WriteString(`"a` + string(rune('a'+i)) + `":"x"`)
	}
	many.WriteString(`}`)
	assert.False(t, decodeFlat([]byte(many.String()), new(struct{ A string })), "more members than it keeps")
}

type textName string

type textStruct struct{ A string }

func (s *textStruct) UnmarshalText(b []byte) error { s.A = strings.ToUpper(string(b)); return nil }

func (n *textName) UnmarshalText(b []byte) error {
	*n = textName(strings.ToUpper(string(b)))
	return nil
}

// TestDecodeFlatAloneNeverAcceptsWhatTheDecoderRefuses: decodeFlat does
// not lean on the strict walk before it (which refuses both of these on
// its own grounds): a json.Number member given a string that is not a
// number, and a raw member nested deeper than encoding/json's scanner
// goes (10000 levels), are left to encoding/json, which refuses them.
func TestDecodeFlatAloneNeverAcceptsWhatTheDecoderRefuses(t *testing.T) {
	type number struct {
		N json.Number `json:"n"`
	}
	deep := `{"data":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`
	for name, tc := range map[string]struct {
		data string
		v    func() any
	}{
		"a json.Number given a word":   {`{"n":"abc"}`, func() any { return new(number) }},
		"a json.Number given a number": {`{"n":"12"}`, func() any { return new(number) }},
		"a raw member 10001 deep":      {deep, func() any { return new(flatBody) }},
	} {
		jsonErr := json.Unmarshal([]byte(tc.data), tc.v())
		if decodeFlat([]byte(tc.data), tc.v()) {
			assert.NoError(t, jsonErr, "%s: decodeFlat accepted what encoding/json refuses", name)
		}
	}
	assert.True(t, decodeFlat([]byte(`{"data":`+strings.Repeat("[", 30)+strings.Repeat("]", 30)+`}`), new(flatBody)),
		"a raw member as deep as the strict walk allows is still read")
}
