package domain_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
)

// playedScenario is a scenario and the events playing it recorded.
type playedScenario struct {
	scenarios.Scenario
	envs []events.Envelope
}

// playSeedsAndGenerated plays, under the default policy, the seed disputes
// and n disputes generated from seed: the disputes the fold and snapshot
// tests run every event of.
func playSeedsAndGenerated(t *testing.T, seed int64, n int) []playedScenario {
	t.Helper()
	pol := policy.Default()
	start := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	var played []playedScenario
	for _, sc := range append(scenarios.Seeds(start), scenarios.Generate(seed, n, start, pol)...) {
		envs, err := scenarios.Play(sc, pol, func() uuid.UUID { return uuid.Must(uuid.NewV7()) })
		require.NoError(t, err, sc.Name)
		played = append(played, playedScenario{Scenario: sc, envs: envs})
	}
	return played
}
