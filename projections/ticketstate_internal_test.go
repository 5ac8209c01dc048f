package projections

import (
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
)

// TestTicketStateRoundTrips folds every seed and generated ticket twice:
// straight, and through encodeTicketState and decodeTicketState after every
// event, as the deadline projection does across pages and restarts. The
// states agree at every revision, so carrying on from a stored state is the
// domain's own fold.
func TestTicketStateRoundTrips(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	start := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	scs := append(scenarios.Seeds(start), scenarios.Generate(5, 300, start, pol)...)
	for _, sc := range scs {
		envs, err := scenarios.Play(sc, pol, nil)
		require.NoError(t, err)
		var straight, stored domain.Ticket
		for _, env := range envs {
			straight = straight.Apply(env)
			state, err := encodeTicketState(stored.Apply(env))
			require.NoError(t, err)
			stored, err = decodeTicketState(state, encodedEffect(stored.Apply(env)))
			require.NoError(t, err)
			want, err := json.Marshal(straight)
			require.NoError(t, err)
			got, err := json.Marshal(stored)
			require.NoError(t, err)
			require.JSONEq(t, string(want), string(got), "%s revision %d", sc.Name, env.Revision)
			require.Equal(t, straight.Effect.CommandID, stored.Effect.CommandID, "%s revision %d", sc.Name, env.Revision)
			require.True(t, straight.Effect.DueAt.Equal(stored.Effect.DueAt) && straight.Effect.RecordedAt.Equal(stored.Effect.RecordedAt),
				"%s revision %d: expiry effect", sc.Name, env.Revision)
			require.Equal(t, straight.OpenDeadlines(), stored.OpenDeadlines(), "%s revision %d", sc.Name, env.Revision)
		}
	}
}

func encodedEffect(t domain.Ticket) sql.NullString {
	v := encodeEffect(t.Effect)
	if v == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: v.(string), Valid: true}
}
