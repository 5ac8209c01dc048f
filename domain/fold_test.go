package domain_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
)

// TestFoldIsApplyInPlace checks Fold against Apply at every event of the
// seed disputes and of generated ones: the ticket folded in place is the
// ticket Apply returns, and the states Apply returned earlier, which Fold's
// ticket shares nothing with, stay as they were.
func TestFoldIsApplyInPlace(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	start := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	scs := append(scenarios.Seeds(start), scenarios.Generate(13, 300, start, pol)...)
	checked := 0
	for _, sc := range scs {
		envs, err := scenarios.Play(sc, pol, func() uuid.UUID { return uuid.Must(uuid.NewV7()) })
		require.NoError(t, err, sc.Name)
		var (
			folded  domain.Ticket
			applied []domain.Ticket // Apply's state after each event
			copies  []domain.Snapshot
		)
		for i, env := range envs {
			var prev domain.Ticket
			if i > 0 {
				prev = applied[i-1]
			}
			next := prev.Apply(env)
			applied, copies = append(applied, next), append(copies, next.Snapshot())
			folded.Fold(env)
			if !assert.Equal(t, next, folded, "%s: event %d (%s) folded in place", sc.Name, i, env.Type) {
				return
			}
			checked++
		}
		for i, st := range applied {
			assert.Equal(t, copies[i], st.Snapshot(), "%s: the state after event %d changed after it was returned", sc.Name, i)
		}
	}
	assert.Greater(t, checked, 1000)
}

// TestReuseFoldsAsTheZeroTicket folds every seed and generated dispute, one
// after another, into one ticket emptied by Reuse between them, and checks
// it at every event against the same dispute folded from the zero Ticket:
// nothing of an earlier ticket survives Reuse but empty maps.
func TestReuseFoldsAsTheZeroTicket(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	start := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	scs := append(scenarios.Seeds(start), scenarios.Generate(17, 300, start, pol)...)
	var reused domain.Ticket
	checked, withEvidence := 0, 0
	for _, sc := range scs {
		envs, err := scenarios.Play(sc, pol, func() uuid.UUID { return uuid.Must(uuid.NewV7()) })
		require.NoError(t, err, sc.Name)
		reused.Reuse()
		var fresh domain.Ticket
		for i, env := range envs {
			fresh.Fold(env)
			reused.Fold(env)
			if !assert.Equal(t, withNilWhenEmpty(fresh), withNilWhenEmpty(reused), "%s: event %d (%s) folded into a reused ticket", sc.Name, i, env.Type) {
				return
			}
			checked++
		}
		if len(fresh.Evidence) > 0 {
			withEvidence++
		}
	}
	assert.Greater(t, checked, 1000)
	assert.Greater(t, withEvidence, 10, "disputes with evidence, whose maps Reuse must empty")
}

// withNilWhenEmpty returns t with its empty maps and slices nil, the one
// way a reused ticket may differ from one folded from the zero Ticket.
func withNilWhenEmpty(t domain.Ticket) domain.Ticket {
	if len(t.Deadlines) == 0 {
		t.Deadlines = nil
	}
	if len(t.Evidence) == 0 {
		t.Evidence = nil
	}
	if len(t.EvidenceOrder) == 0 {
		t.EvidenceOrder = nil
	}
	return t
}
