package commands_test

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
)

// stringLeaf is a string field of a command: its path as the validation
// error names it, and the JSON of a command body holding lit there.
type stringLeaf struct {
	path string
	body func(lit string) string
}

// stringLeaves finds every string field of t (descending into structs,
// embedded structs, pointers and lists), so the table below covers every
// field of every command, including ones added later.
func stringLeaves(t reflect.Type, path string, wrap func(string) string) []stringLeaf {
	switch t.Kind() {
	case reflect.Pointer:
		return stringLeaves(t.Elem(), path, wrap)
	case reflect.Slice:
		return stringLeaves(t.Elem(), path+"[0]", func(inner string) string { return wrap("[" + inner + "]") })
	case reflect.String:
		return []stringLeaf{{path: path, body: wrap}}
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return nil
		}
		var out []stringLeaf
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous {
				out = append(out, stringLeaves(f.Type, path, wrap)...)
				continue
			}
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			out = append(out, stringLeaves(f.Type, path+"."+name, func(inner string) string {
				return wrap(fmt.Sprintf(`{%q:%s}`, name, inner))
			})...)
		}
		return out
	}
	return nil
}

func request(command, data string) string {
	return `{"command_id":"c","ticket_id":"T","actor":{"role":"buyer","id":"b"},"command":"` + command + `","data":` + data + `}`
}

// TestTextIsRefusedNotRewritten is the regression test of issue 11,
// finding 5: invalid UTF-8 was stored as U+FFFD with 201, and NUL and
// bidirectional overrides were accepted. Every string field of every
// command, given each kind of bad text, is refused with a validation error
// naming exactly that field.
func TestTextIsRefusedNotRewritten(t *testing.T) {
	t.Parallel()
	bad := []struct {
		name, lit string
	}{
		{"invalid UTF-8", "\"ab\xffcd\""},
		{"truncated UTF-8", "\"ab\xe4\xb8\""},
		{"overlong NUL", "\"a\xc0\x80b\""},
		{"lone high surrogate escape", `"ab\ud800cd"`},
		{"lone low surrogate escape", `"ab\udc00cd"`},
		{"NUL", `"a\u0000b"`},
		{"bell", `"a\u0007b"`},
		{"carriage return", `"a\rb"`},
		{"escape", `"a\u001b[31mb"`},
		{"DEL", `"a\u007fb"`},
		{"C1 next line", `"a\u0085b"`},
		{"right-to-left override", `"a\u202eb"`},
		{"right-to-left override, raw", "\"a\u202eb\""},
		{"left-to-right embedding", `"a\u202ab"`},
		{"first strong isolate", `"a\u2068b"`},
		{"pop directional isolate, raw", "\"a\u2069b\""},
		{"right-to-left mark", `"a\u200fb"`},
		{"arabic letter mark", `"a\u061cb"`},
	}
	fields := 0
	for _, cmd := range domain.Commands() {
		for _, leaf := range stringLeaves(reflect.TypeOf(cmd), "data", func(s string) string { return s }) {
			fields++
			for _, b := range bad {
				t.Run(cmd.CommandName()+"/"+leaf.path+"/"+b.name, func(t *testing.T) {
					_, _, err := commands.ParseRequest([]byte(request(cmd.CommandName(), leaf.body(b.lit))), commands.DefaultLimits())
					verr, ok := errors.AsType[*commands.ValidationError](err)
					require.True(t, ok, "want a ValidationError, got %v", err)
					assert.Equal(t, leaf.path, verr.Field, verr.Error())
					assert.ErrorIs(t, err, commands.ErrValidation)
				})
			}
		}
	}
	assert.Greater(t, fields, 30, "the walk found the commands' text fields")
}

// TestTextThatIsText is accepted as sent: newlines, tabs, Chinese,
// surrogate-pair escapes of emoji, and U+FFFD itself when sent.
func TestTextThatIsText(t *testing.T) {
	t.Parallel()
	for _, lit := range []string{
		`"第一行\n第二行\t缩进"`, `"\ud83d\ude00 ok"`, "\"😀 ok\"", `"\ufffd"`, "\"\ufffd\"",
		`"مرحبا"`, `"quote \" and backslash \\"`,
	} {
		req, cmd, err := commands.ParseRequest([]byte(request("post_message", `{"text":`+lit+`}`)), commands.DefaultLimits())
		require.NoError(t, err, lit)
		assert.Equal(t, "post_message", req.Command)
		assert.NotEmpty(t, cmd.(domain.PostMessage).Text)
	}
}

// TestIDsRefuseControls: ids allow no control characters at all, not even
// newline or tab, in the envelope and in the data.
func TestIDsRefuseControls(t *testing.T) {
	t.Parallel()
	tests := []struct{ line, field string }{
		{`{"command_id":"c\n1","ticket_id":"T","actor":{"role":"buyer","id":"b"},"command":"withdraw"}`, "command_id"},
		{`{"command_id":"c","ticket_id":"T\u0000","actor":{"role":"buyer","id":"b"},"command":"withdraw"}`, "ticket_id"},
		{`{"command_id":"c","ticket_id":"T","correlation_id":"x\u202e","actor":{"role":"buyer","id":"b"},"command":"withdraw"}`, "correlation_id"},
		{`{"command_id":"c","ticket_id":"T","actor":{"role":"buyer","id":"b\t"},"command":"withdraw"}`, "actor.id"},
		{"{\"command_id\":\"c\xff\",\"ticket_id\":\"T\",\"actor\":{\"role\":\"buyer\",\"id\":\"b\"},\"command\":\"withdraw\"}", "command_id"},
		{request("open_ticket", `{"order_id":"O\n1"}`), "data.order_id"},
		{request("open_ticket", `{"merchant_id":"m\t1"}`), "data.merchant_id"},
		{request("submit_evidence", `{"items":[{"id":"e\n1"}]}`), "data.items[0].id"},
	}
	for _, tc := range tests {
		_, _, err := commands.ParseRequest([]byte(tc.line), commands.DefaultLimits())
		verr, ok := errors.AsType[*commands.ValidationError](err)
		require.True(t, ok, "%s: want a ValidationError, got %v", tc.line, err)
		assert.Equal(t, tc.field, verr.Field, verr.Error())
	}
}

// TestRawTextIsNamedWhereItIs: the raw check names the exact member and
// list index, also in member names and deep inside nested lists, in one
// pass over the input.
func TestRawTextIsNamedWhereItIs(t *testing.T) {
	t.Parallel()
	item := func(desc string) string {
		return `{"id":"e","kind":"photo","description":"` + desc + `","sha256":"x","uri":"u"}`
	}
	deep := strings.Repeat("[", 5000) + "\"\xff\"" + strings.Repeat("]", 5000)
	tests := []struct{ line, field string }{
		{request("submit_evidence", `{"items":[`+item("a")+`,`+item("b")+`,`+item("c\xff")+`]}`), "data.items[2].description"},
		{request("rule", `{"evidence":["ok","\udfff"]}`), "data.evidence[1]"},
		{request("post_message", "{\"te\xffxt\":\"hi\"}"), "data.te\ufffdxt"},
		{request("post_message", `{"text":`+deep+`}`), "data.text" + strings.Repeat("[0]", 30)}, // the request, its data and 30 lists: 32 levels
	}
	for _, tc := range tests {
		_, _, err := commands.ParseRequest([]byte(tc.line), commands.DefaultLimits())
		verr, ok := errors.AsType[*commands.ValidationError](err)
		require.True(t, ok, "want a ValidationError, got %v", err)
		assert.Equal(t, tc.field, verr.Field)
	}
}

// TestDeepNestingCostsLittle: a body nested as deep as the size bound
// allows is refused at the nesting bound, and refusing it allocates a
// small multiple of its size. (The field path was once joined level by
// level: a 160 KB body of nested lists allocated 19 GB and took seconds —
// a denial of service by any caller.) Not parallel: it reads the
// process's allocation counter.
func TestDeepNestingCostsLittle(t *testing.T) {
	bodies := map[string]int{
		`"\xff"`: 20_000, // refused by the raw check, which names the field's path
		`"x"`:    commands.DefaultLimits().MaxRequestBytes/2 - 64,
	}
	for leaf, depth := range bodies {
		line := []byte(request("post_message", `{"text":`+strings.Repeat("[", depth)+leaf+strings.Repeat("]", depth)+`}`))
		require.LessOrEqual(t, len(line), commands.DefaultLimits().MaxRequestBytes)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, err := commands.ParseRequest(line, commands.DefaultLimits())
		runtime.ReadMemStats(&after)
		verr, ok := errors.AsType[*commands.ValidationError](err)
		require.True(t, ok, "want a ValidationError, got %v", err)
		assert.Contains(t, verr.Error(), "deeper than 32 levels")
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64*len(line)), "bytes allocated to refuse a %d-byte body nested %d deep", len(line), depth)
	}
}
