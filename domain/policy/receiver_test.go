package policy_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// BenchmarkDecisionCalls makes the policy calls one decision makes (a
// schedule, stamped with the content address, and a due time), which the
// auditor repeats for every event it replays:
//
//	go test -run='^$' -bench=DecisionCalls -benchmem ./domain/policy/
func BenchmarkDecisionCalls(b *testing.B) {
	p := policy.Default()
	start := time.Date(2026, 11, 6, 17, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		s := p.Schedule(start, events.DeadlineMerchantResponse, events.DeadlineNegotiation)
		_ = p.SHA256()
		_ = p.DueAt(events.DeadlineReturnShipment, s.Deadlines[0].DueAt)
		_ = p.CountsWorkingTime(events.DeadlineEvidence)
	}
}

// TestCanonicalLeavesPolicy: Canonical writes empty lists as [] by changing
// its own copy; the caller's policy keeps its nil lists.
func TestCanonicalLeavesPolicy(t *testing.T) {
	t.Parallel()
	p := policy.Default()
	p.VagueWords, p.Calendar.Holidays, p.Calendar.MakeupWorkdays = nil, nil, nil
	assert.Contains(t, string(p.Canonical()), `"vague_words":[]`)
	assert.Nil(t, p.VagueWords)
	assert.Nil(t, p.Calendar.Holidays)
	assert.Nil(t, p.Calendar.MakeupWorkdays)
}
