package events

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Types exercising encoding/json features the catalogue may grow into.
type (
	planInner struct {
		A string `json:"a"`
		B int8   `json:"b"`
	}
	planEmbedded struct {
		E1 bool `json:"e1"`
	}
	planHidden struct {
		H uint16 `json:"h"`
	}
	planAll struct {
		First string `json:"first"`
		planEmbedded
		Tagged   planInner     `json:"tagged"`
		Untagged string        // written under its Go name
		Skipped  string        `json:"-"`
		private  string        // unexported: not written
		Ptr      *planInner    `json:"ptr"`
		NilPtr   *planInner    `json:"nil_ptr"`
		When     *time.Time    `json:"when"`
		Nested   [][]planInner `json:"nested"`
		Empty    []string      `json:"empty"`
		Null     []string      `json:"null"`
		Small    uint8         `json:"small"`
		Neg      int           `json:"neg"`
		Named    Role          `json:"named"`
		planHidden
		Last time.Time `json:"last"`
	}
)

func TestPlanReadsWhatEncodingJSONWrites(t *testing.T) {
	t.Parallel()
	when := time.Date(2026, 1, 2, 3, 4, 5, 600, time.FixedZone("", -7*3600))
	v := planAll{
		First: "f <&> \"q\"\n", planEmbedded: planEmbedded{E1: true},
		Tagged: planInner{A: "x", B: -128}, Untagged: "u", Skipped: "s", private: "p",
		Ptr: &planInner{A: "y", B: 127}, When: &when,
		Nested: [][]planInner{{{A: "1"}, {A: "2"}}, {}, nil, {{B: 3}}},
		Empty:  []string{}, Small: 255, Neg: -1 << 40, Named: RoleArbitrator,
		planHidden: planHidden{H: 65535}, Last: when.UTC(),
	}
	wire, err := json.Marshal(v)
	require.NoError(t, err)
	p, err := planFor(reflect.TypeFor[planAll]())
	require.NoError(t, err)

	got := reflect.New(reflect.TypeFor[planAll]()).Elem()
	d := canonicalDecoder{s: string(wire)}
	require.True(t, d.object(p, got), "reads %s", wire)
	assert.Equal(t, len(wire), d.pos, "reads to the end")
	want := v
	want.Skipped, want.private = "", ""
	assert.Equal(t, want, got.Interface())

	// null and [] (or an object) are different values, each in its
	// canonical spelling: read, they are written back the same.
	for _, other := range []string{
		strings.Replace(string(wire), `"empty":[]`, `"empty":null`, 1),
		strings.Replace(string(wire), `"null":null`, `"null":[]`, 1),
		strings.Replace(string(wire), `"nil_ptr":null`, `"nil_ptr":{"a":"","b":0}`, 1),
	} {
		got := reflect.New(reflect.TypeFor[planAll]())
		d := canonicalDecoder{s: other}
		require.True(t, d.object(p, got.Elem()), "reads %s", other)
		again, err := json.Marshal(got.Interface())
		require.NoError(t, err)
		assert.Equal(t, other, string(again))
	}

	// Any other spelling of a value is refused.
	for _, mangled := range []string{
		strings.Replace(string(wire), `"first"`, `"First"`, 1),
		strings.Replace(string(wire), `"small":255`, `"small":255.0`, 1),
		strings.Replace(string(wire), `"neg":-`, `"neg": -`, 1),
		strings.Replace(string(wire), `"empty":[]`, `"empty":[ ]`, 1),
		strings.Replace(string(wire), `"null":null`, `"null":nul`, 1),
		strings.Replace(string(wire), `[],null`, `[],null,`, 1),
		strings.Replace(string(wire), `"nil_ptr":null`, `"nil_ptr":{"a":""}`, 1),
		strings.Replace(string(wire), `"b":-128`, `"b":-129`, 1),
		strings.Replace(string(wire), `"small":255`, `"small":256`, 1),
		strings.Replace(string(wire), `-07:00"`, `-0700"`, 1),
		strings.Replace(string(wire), `\u003c`, `\u003C`, 1),
		strings.Replace(string(wire), `\"q\"`, `\u0022q\u0022`, 1),
		strings.Replace(string(wire), `"u"`, `"\u0075"`, 1),
	} {
		require.NotEqual(t, string(wire), mangled, "mangling must change something")
		d := canonicalDecoder{s: mangled}
		ok := d.object(p, reflect.New(reflect.TypeFor[planAll]()).Elem()) && d.pos == len(mangled)
		assert.False(t, ok, "refuses %s", mangled)
	}
}

type (
	withOption struct {
		A int `json:"a,omitempty"` // omitempty is modelled on strings only
	}
	withStringOption struct {
		A string `json:"a,string"`
	}
	withMap       struct{ M map[string]string }
	withFloat     struct{ F float64 }
	withBytes     struct{ B []byte }
	withAny       struct{ X any }
	withArray     struct{ A [2]int }
	withMarshaler struct{ R json.RawMessage }
	withTextual   struct{ T textual }
	textual       struct{ s string }
	withConflict  struct {
		A string `json:"X"`
		X string // encoding/json also names this one X
	}
	withEmbeddedPointer struct{ *planInner }
	withRecursion       struct{ Next *withRecursion }
	withOddName         struct {
		A string `json:"a-b"`
	}
	withPointerToString struct{ P *string }
)

func (t textual) MarshalText() ([]byte, error) { return []byte(t.s), nil }

func TestPlanRefusesWhatItDoesNotModel(t *testing.T) {
	t.Parallel()
	for _, typ := range []reflect.Type{
		reflect.TypeFor[withOption](), reflect.TypeFor[withStringOption](), reflect.TypeFor[withMap](), reflect.TypeFor[withFloat](),
		reflect.TypeFor[withBytes](), reflect.TypeFor[withAny](), reflect.TypeFor[withArray](),
		reflect.TypeFor[withMarshaler](), reflect.TypeFor[withTextual](), reflect.TypeFor[withConflict](),
		reflect.TypeFor[withEmbeddedPointer](), reflect.TypeFor[withRecursion](),
		reflect.TypeFor[withOddName](), reflect.TypeFor[withPointerToString](), reflect.TypeFor[string](),
	} {
		_, err := planFor(typ)
		assert.Error(t, err, "%s has no plan", typ)
	}
}

func TestRegistryMatchesTypes(t *testing.T) {
	t.Parallel()
	types := Types()
	assert.Len(t, registry, len(types))
	for _, typ := range types {
		e := registry[typ]
		require.NotNil(t, e, typ)
		assert.Equal(t, typ, e.name)
		assert.Equal(t, typ, reflect.Zero(e.typ).Interface().(Payload).EventType())
		assert.NotNil(t, e.plan, "%s has a plan", typ)
	}
}

func TestHasReplacementEscape(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]bool{
		`"\ufffd"`:        true,
		`"a\\\ufffd"`:     true,
		`"\\ufffd"`:       false, // an escaped backslash, then plain text
		`"\\\\ufffd"`:     false,
		`"\u003cufffd"`:   false,
		"\"\ufffd\"":      false, // a genuine U+FFFD, written as is
		`"\ufff"`:         false,
		`{"a":"\n\ufffd"`: true,
		`\`:               false,
	} {
		assert.Equal(t, want, hasReplacementEscape([]byte(text)), text)
	}
}

// planOptional has string members encoding/json leaves out when empty:
// first, in the middle and last, so every comma placement is read.
type planOptional struct {
	A string `json:"a,omitempty"`
	B int    `json:"b"`
	C string `json:"c,omitempty"`
	D string `json:"d,omitempty"`
}

func TestPlanReadsOmittedMembers(t *testing.T) {
	t.Parallel()
	p, err := planFor(reflect.TypeFor[planOptional]())
	require.NoError(t, err)
	read := func(wire string) (planOptional, bool) {
		got := reflect.New(reflect.TypeFor[planOptional]()).Elem()
		d := canonicalDecoder{s: wire}
		ok := d.object(p, got) && d.pos == len(wire)
		return got.Interface().(planOptional), ok
	}
	for _, v := range []planOptional{{}, {A: "a"}, {C: "c"}, {D: "d"}, {A: "a", C: "c", D: "d", B: 7}, {A: "a", D: "d"}} {
		wire, err := json.Marshal(v)
		require.NoError(t, err)
		got, ok := read(string(wire))
		require.True(t, ok, "reads %s", wire)
		assert.Equal(t, v, got)
	}
	for _, mangled := range []string{
		`{"a":"","b":0}`,          // an empty member is written only by omission
		`{"b":0,"c":""}`,          // likewise last
		`{"b":0,"d":"d","c":"c"}`, // out of order
		`{,"b":0}`,
		`{"b":0,}`,
		`{"b":0"c":"c"}`,
	} {
		_, ok := read(mangled)
		assert.False(t, ok, "refuses %s", mangled)
	}
}
