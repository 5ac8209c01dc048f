package commands_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// TestValidateNamesTheRefusedField: each bound of a command's fields is
// refused under the field's whole path, nested items included, and ids
// (members named id or *_id) are held to the id bound, other text to the
// text bound.
func TestValidateNamesTheRefusedField(t *testing.T) {
	limits := commands.DefaultLimits()
	item := func(id, desc string) events.EvidenceItem {
		return events.EvidenceItem{ID: id, Kind: "photo", Description: desc, SHA256: strings.Repeat("a", 64), URI: "u"}
	}
	long := func(n int) string { return strings.Repeat("x", n) }
	for _, tc := range []struct {
		name  string
		cmd   domain.Command
		field string // "" when accepted
	}{
		{"accepted", domain.SubmitEvidence{Items: []events.EvidenceItem{item("e1", "ok"), item("e2", long(limits.MaxIDBytes+1))}}, ""},
		{"an item's id past the id bound", domain.SubmitEvidence{Items: []events.EvidenceItem{item("e1", "ok"), item(long(limits.MaxIDBytes+1), "ok")}}, "data.items[1].id"},
		{"an item's text past the text bound", domain.SubmitEvidence{Items: []events.EvidenceItem{item("e1", long(limits.MaxTextBytes+1))}}, "data.items[0].description"},
		{"a control in an item's id", domain.SubmitEvidence{Items: []events.EvidenceItem{item("e\n1", "ok")}}, "data.items[0].id"},
		{"a control in text", domain.PostMessage{Text: "a\x01b"}, "data.text"},
		{"invalid UTF-8", domain.PostMessage{Text: "a\xffb"}, "data.text"},
		{"too many items", domain.SubmitEvidence{Items: make([]events.EvidenceItem, limits.MaxListItems+1)}, "data.items"},
		{"a merchant id past the id bound", domain.OpenTicket{OrderID: "O-1", MerchantID: long(limits.MaxIDBytes + 1), Kind: events.KindRefundOnly,
			Reason: events.ReasonQuality, Currency: "CNY", AmountPaid: 1, Requested: 1}, "data.merchant_id"},
		{"a negative amount", domain.OpenTicket{OrderID: "O-1", MerchantID: "m-1", Kind: events.KindRefundOnly,
			Reason: events.ReasonQuality, Currency: "CNY", AmountPaid: -1, Requested: 1}, "data.amount_paid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := commands.Request{CommandID: "c-1", TicketID: "T-1", Actor: events.Actor{Role: events.RoleBuyer, ID: "b-1"}, Command: tc.cmd.CommandName()}
			err := commands.Validate(req, tc.cmd, limits)
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			verr, ok := errors.AsType[*commands.ValidationError](err)
			require.True(t, ok, "%v", err)
			assert.Equal(t, tc.field, verr.Field)
		})
	}
}
