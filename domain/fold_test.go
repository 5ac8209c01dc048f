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
