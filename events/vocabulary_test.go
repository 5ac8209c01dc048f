package events_test

import (
	"strings"
	"testing"
	"unsafe"

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

// TestDeadlineKindCanonical: a known kind, however it is held (here a
// copy, as decoding makes a window on an event's bytes), has its constant,
// the very string of the program's; an unknown one is returned as it is.
func TestDeadlineKindCanonical(t *testing.T) {
	t.Parallel()
	for _, k := range events.DeadlineKinds() {
		c, ok := events.DeadlineKind(strings.Clone(string(k))).Canonical()
		assert.True(t, ok, "%s", k)
		assert.Equal(t, k, c)
		assert.Same(t, unsafe.StringData(string(k)), unsafe.StringData(string(c)), "%s: the constant itself", k)
	}
	for _, k := range []events.DeadlineKind{"", "appeals", "Appeal", "evidence "} {
		c, ok := k.Canonical()
		assert.False(t, ok, "%q", k)
		assert.Equal(t, k, c)
	}
}
