package commands_test

import (
	"errors"
	"fmt"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// TestNullAndEmptyEnumsAreRefused (issue 16, item 17): null, which
// encoding/json reads as "leave the field as it is", is refused wherever
// it stands — the data, a member, a list item, a nested member — and so
// is "" as an enumeration's value (confirm_receipt's problem was taken as
// "no problem"), each naming its field. The API's document has neither.
func TestNullAndEmptyEnumsAreRefused(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, line, field string }{
		{"data", request("withdraw", `null`), "data"},
		{"command id", `{"command_id":null,"ticket_id":"T","actor":{"role":"buyer","id":"b"},"command":"withdraw"}`, "command_id"},
		{"correlation id", `{"command_id":"c","correlation_id":null,"ticket_id":"T","actor":{"role":"buyer","id":"b"},"command":"withdraw"}`, "correlation_id"},
		{"text member", request("post_message", `{"text":null}`), "data.text"},
		{"amount", request("issue_refund", `{"amount":null}`), "data.amount"},
		{"time", request("open_ticket", `{"delivered_at":null}`), "data.delivered_at"},
		{"nested object", request("decide_appeal", `{"decision":"upheld","terms":null}`), "data.terms"},
		{"list", request("submit_evidence", `{"items":null}`), "data.items"},
		{"list item", request("submit_evidence", `{"items":[null]}`), "data.items[0]"},
		{"nested member", request("submit_evidence", `{"items":[{"id":null}]}`), "data.items[0].id"},
		{"empty return problem", request("confirm_receipt", `{"problem":""}`), "data.problem"},
		{"empty outcome", request("rule", `{"outcome":"","liability":"merchant"}`), "data.outcome"},
		{"empty nested enum", request("decide_appeal", `{"decision":"overturned","terms":{"liability":""}}`), "data.terms.liability"},
		{"empty role", `{"command_id":"c","ticket_id":"T","actor":{"role":"","id":"b"},"command":"withdraw"}`, "actor.role"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := commands.ParseRequest([]byte(tc.line), commands.DefaultLimits())
			verr, ok := errors.AsType[*commands.ValidationError](err)
			require.True(t, ok, "want a ValidationError, got %v", err)
			assert.Equal(t, tc.field, verr.Field, verr.Error())
		})
	}
	var body struct {
		Data string `json:"data"`
	}
	assert.ErrorIs(t, commands.DecodeStrict("body", []byte(" null "), &body), commands.ErrValidation, "a whole body of null")

	// Left out, the same members are fine; a problem given is one of its values.
	for _, line := range []string{request("confirm_receipt", `{}`), request("confirm_receipt", `{"note":"ok"}`)} {
		_, cmd, err := commands.ParseRequest([]byte(line), commands.DefaultLimits())
		require.NoError(t, err, line)
		assert.Equal(t, domain.ConfirmReceipt{Note: cmd.(domain.ConfirmReceipt).Note}, cmd)
	}
	_, cmd, err := commands.ParseRequest([]byte(request("confirm_receipt", `{"problem":"damaged"}`)), commands.DefaultLimits())
	require.NoError(t, err)
	assert.Equal(t, events.ProblemDamaged, cmd.(domain.ConfirmReceipt).Problem)
}

// TestTextPatternIsCheckText: the pattern the OpenAPI document states for
// text and for ids matches exactly the characters checkText lets through.
func TestTextPatternIsCheckText(t *testing.T) {
	t.Parallel()
	for _, id := range []bool{false, true} {
		// JSON Schema's \uXXXX is Go's \x{XXXX}.
		re := regexp.MustCompile(regexp.MustCompile(`\\u([0-9A-F]{4})`).ReplaceAllString(commands.TextPattern(id), `\x{$1}`))
		for r := rune(0); r < 0x3000; r++ {
			field := "data.text"
			if id {
				field = "data.order_id"
			}
			lit := fmt.Sprintf(`"a\u%04xb"`, r) // escaped: raw controls are not JSON
			line := request("post_message", `{"text":`+lit+`}`)
			if id {
				line = request("open_ticket", `{"order_id":`+lit+`}`)
			}
			_, _, err := commands.ParseRequest([]byte(line), commands.DefaultLimits())
			verr, refused := errors.AsType[*commands.ValidationError](err)
			refused = refused && verr.Field == field
			if r >= 0xd800 && r <= 0xdfff { // a surrogate half: not a character
				continue
			}
			assert.Equal(t, !refused, re.MatchString("a"+string(r)+"b"), "id %v, %U: %v", id, r, err)
		}
	}
}

// TestClassificationsAreCodes: Classifications names every code Codes
// does, once each, with the kind Classify gives it.
func TestClassificationsAreCodes(t *testing.T) {
	var codes []string
	for _, c := range commands.Classifications() {
		assert.NotContains(t, codes, c.Code, "a code with one kind, once")
		codes = append(codes, c.Code)
		assert.NotEmpty(t, c.Kind, c.Code)
	}
	assert.ElementsMatch(t, commands.Codes(), codes)
}
