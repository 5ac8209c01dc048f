package commands_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
)

// TestMemberNamesAreExactAndUnique: encoding/json matches member names
// case-insensitively and keeps the last of duplicates, so a gateway or a
// client could read another request from the one recorded (issue 11). At
// every level of the envelope and of the command data, a name that is not
// the exact-case name of a field, or that appears twice in one object, is
// refused, naming its path.
func TestMemberNamesAreExactAndUnique(t *testing.T) {
	t.Parallel()
	const buyer = `"command_id":"c","ticket_id":"T","actor":{"role":"buyer","id":"b"}`
	const arbitrator = `"command_id":"c","ticket_id":"T","actor":{"role":"arbitrator","id":"a"}`
	item := `{"id":"e1","kind":"photo","description":"d","sha256":"` + strings.Repeat("a", 64) + `","uri":"u"}`
	tests := []struct {
		name, line, field string
	}{
		{"other case in data", `{` + buyer + `,"command":"post_message","data":{"text":"ok","Text":"x"}}`, "data.Text"},
		{"duplicate in data", `{` + buyer + `,"command":"post_message","data":{"text":"ok","text":"x"}}`, "data.text"},
		{"other case envelope", `{` + buyer + `,"command":"post_message","Data":{"text":"x"}}`, "Data"},
		{"duplicate envelope member", `{` + buyer + `,"command":"post_message","command":"withdraw"}`, "command"},
		{"duplicate data envelope member", `{` + buyer + `,"command":"post_message","data":{"text":"ok"},"data":{"text":"x"}}`, "data"},
		{"other case actor", `{"command_id":"c","ticket_id":"T","actor":{"Role":"buyer","id":"b"},"command":"withdraw"}`, "actor.Role"},
		{"duplicate actor id", `{"command_id":"c","ticket_id":"T","actor":{"role":"buyer","id":"b","id":"m"},"command":"withdraw"}`, "actor.id"},
		{"other case evidence item", `{` + buyer + `,"command":"submit_evidence","data":{"items":[` + item + `,{"ID":"e2"}]}}`, "data.items[1].ID"},
		{"duplicate evidence item member", `{` + buyer + `,"command":"submit_evidence","data":{"items":[{"uri":"u","uri":"v"}]}}`, "data.items[0].uri"},
		{"other case embedded terms", `{` + arbitrator + `,"command":"rule","data":{"outcome":"buyer_favoured","Refund":1}}`, "data.Refund"},
		{"duplicate embedded terms", `{` + arbitrator + `,"command":"rule","data":{"refund":1,"refund":2}}`, "data.refund"},
		{"other case nested terms", `{"command_id":"c","ticket_id":"T","actor":{"role":"senior_arbitrator","id":"s"},"command":"decide_appeal","data":{"terms":{"REFUND":1}}}`, "data.terms.REFUND"},
		{"other case shipment", `{` + buyer + `,"command":"ship_return","data":{"Carrier":"SF"}}`, "data.Carrier"},
		{"duplicate shipment", `{` + buyer + `,"command":"ship_return","data":{"tracking_number":"1","tracking_number":"2"}}`, "data.tracking_number"},
		{"member of an empty command", `{` + buyer + `,"command":"accept_offer","data":{"x":1}}`, "data.x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := commands.ParseRequest([]byte(tc.line), commands.DefaultLimits())
			verr, ok := errors.AsType[*commands.ValidationError](err)
			require.True(t, ok, "want a ValidationError, got %v", err)
			assert.Equal(t, tc.field, verr.Field, verr.Error())
			assert.ErrorIs(t, err, commands.ErrValidation)
		})
	}

	// The same shapes, spelled exactly once each, are accepted.
	good := []string{
		`{` + buyer + `,"command":"post_message","data":{"text":"ok"}}`,
		`{` + buyer + `,"command":"submit_evidence","data":{"items":[` + item + `]}}`,
		`{` + buyer + `,"command":"ship_return","data":{"carrier":"SF","tracking_number":"1"}}`,
		`{` + arbitrator + `,"command":"rule","data":{"outcome":"buyer_favoured","liability":"merchant","refund":1,"compensation":0,"counterfeit":false,"rationale":"r","evidence":["e1"]}}`,
	}
	for _, line := range good {
		_, _, err := commands.ParseRequest([]byte(line), commands.DefaultLimits())
		assert.NoError(t, err, line)
	}
}

// TestCorrelationIDRefusesTheSystemNamespace: a client's correlation id is
// held to the same reserved prefix as its command id; the system's own is
// not.
func TestCorrelationIDRefusesTheSystemNamespace(t *testing.T) {
	t.Parallel()
	line := `{"command_id":"c","ticket_id":"T-1","actor":{"role":"buyer","id":"b"},"command":"post_message","data":{"text":"x"},"correlation_id":"expire:T-1:x:1"}`
	_, _, err := commands.ParseRequest([]byte(line), commands.DefaultLimits())
	verr, ok := errors.AsType[*commands.ValidationError](err)
	require.True(t, ok, "want a ValidationError, got %v", err)
	assert.Equal(t, "correlation_id", verr.Field)

	system := `{"command_id":"expire:T-1:x:1","ticket_id":"T-1","actor":{"role":"system","id":"scheduler"},"command":"expire_deadline","data":{"deadline":"merchant_response"},"correlation_id":"expire:T-1:x:1"}`
	_, _, err = commands.ParseRequest([]byte(system), commands.DefaultLimits())
	assert.NoError(t, err)
}

// BenchmarkParseRequest parses a ticket's opening (the body of every
// command in disputes bench's http_commands figures) and an evidence
// submission with nested items: the strict member check rides on the raw
// walk that was already there.
//
//	go test -run '^$' -bench ParseRequest -benchmem ./commands/
func BenchmarkParseRequest(b *testing.B) {
	items := make([]string, 8)
	for i := range items {
		items[i] = `{"id":"e` + strings.Repeat("1", i+1) + `","kind":"photo","description":"a photo","sha256":"` + strings.Repeat("a", 64) + `","uri":"u"}`
	}
	for _, tc := range []struct{ name, line string }{
		{"open_ticket", request("open_ticket", `{"order_id":"O-1","merchant_id":"m-1","kind":"refund_only","reason":"quality",`+
			`"currency":"CNY","amount_paid":5000,"requested":5000,"description":"屏幕碎了 screen cracked","order_shipped":true}`)},
		{"submit_evidence", `{"command_id":"c","ticket_id":"T","actor":{"role":"buyer","id":"b"},"command":"submit_evidence","data":{"items":[` + strings.Join(items, ",") + `]}}`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			line := []byte(tc.line)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := commands.ParseRequest(line, commands.DefaultLimits()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
