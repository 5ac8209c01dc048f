package projections

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
)

// TestStoredSnapshotCarriesTheFold folds every seed and generated ticket
// twice: straight, and through encodeSnapshot and decodeSnapshot after every
// event, as the deadline projection does across pages and restarts. The
// snapshots and the open deadlines agree at every revision, so carrying on
// from a stored snapshot is the domain's own fold.
func TestStoredSnapshotCarriesTheFold(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	start := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	scs := append(scenarios.Seeds(start), scenarios.Generate(5, 300, start, pol)...)
	for _, sc := range scs {
		envs, err := scenarios.Play(sc, pol, nil)
		require.NoError(t, err)
		var (
			straight domain.Ticket
			stored   domain.Snapshot
		)
		for _, env := range envs {
			straight = straight.Apply(env)
			next := stored.Apply(env)
			var enc snapshotEncoder
			text, err := enc.encode(&next)
			require.NoError(t, err)
			stored, err = decodeSnapshot(text)
			require.NoError(t, err)
			want, err := json.Marshal(straight.Snapshot())
			require.NoError(t, err)
			require.JSONEq(t, string(want), text, "%s revision %d", sc.Name, env.Revision)
			require.Equal(t, straight.OpenDeadlines(), stored.Ticket().OpenDeadlines(), "%s revision %d", sc.Name, env.Revision)
			require.True(t, straight.Effect.DueAt.Equal(stored.Effect.DueAt) && straight.Effect.RecordedAt.Equal(stored.Effect.RecordedAt) &&
				straight.Effect.CommandID == stored.Effect.CommandID, "%s revision %d: expiry effect", sc.Name, env.Revision)
		}
	}
}
