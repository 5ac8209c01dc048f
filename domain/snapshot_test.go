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

// TestSnapshotCarriesTheFold checks Snapshot's contract at every event of
// the seed disputes and of generated ones: folding the next event onto a
// ticket restored from its snapshot gives the snapshot of the whole fold,
// so a read model that keeps only the snapshot (and restarts between any
// two events) never drifts from the aggregate.
func TestSnapshotCarriesTheFold(t *testing.T) {
	t.Parallel()
	checked := 0
	for _, sc := range playSeedsAndGenerated(t, 11, 300) {
		var whole domain.Ticket
		for i, env := range sc.envs {
			before := whole
			whole = whole.Apply(env)
			restored := before.Snapshot().Apply(env)
			if !assert.Equal(t, whole.Snapshot(), restored, "%s: event %d (%s) folded onto a restored snapshot", sc.Name, i, env.Type) {
				return
			}
			checked++
		}
	}
	assert.Greater(t, checked, 1000)
}

// TestSnapshotRestoresWhatItKeeps: a restored ticket's snapshot is the
// snapshot, so a read model's row reads back as it was written.
func TestSnapshotRestoresWhatItKeeps(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	start := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	for _, sc := range scenarios.Seeds(start) {
		envs, err := scenarios.Play(sc, pol, func() uuid.UUID { return uuid.Must(uuid.NewV7()) })
		require.NoError(t, err)
		var tk domain.Ticket
		for _, env := range envs {
			tk = tk.Apply(env)
			s := tk.Snapshot()
			assert.Equal(t, s, s.Ticket().Snapshot(), sc.Name)
		}
	}
}
