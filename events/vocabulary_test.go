package events_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/disputes-ledger/disputes/events"
)

func TestStreamNames(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "ticket-T1", events.StreamFor("T1"))
	tests := []struct{ stream, ticket string }{
		{"ticket-T1", "T1"},
		{events.StreamFor("0193b5c0-7e00-7000-8000-000000000001"), "0193b5c0-7e00-7000-8000-000000000001"},
		{"ticket-", ""},
		{"ticket", ""},
		{"", ""},
		{"order-T1", ""},
		{"Ticket-T1", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.ticket, events.TicketOf(tt.stream), "TicketOf(%q)", tt.stream)
	}
}

func TestVocabularyValidity(t *testing.T) {
	t.Parallel()
	for _, r := range events.Roles() {
		assert.True(t, r.Valid(), "role %q", r)
	}
	for _, r := range []events.Role{"", "Buyer", "admin"} {
		assert.False(t, r.Valid(), "role %q", r)
	}
	for _, k := range events.DeadlineKinds() {
		assert.True(t, k.Valid(), "deadline %q", k)
	}
	for _, k := range []events.DeadlineKind{"", "appeal_window", "Appeal"} {
		assert.False(t, k.Valid(), "deadline %q", k)
	}
	sys := events.SystemActor()
	assert.Equal(t, events.RoleSystem, sys.Role)
	assert.Equal(t, "system:scheduler", sys.String())
}
