package scenarios_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
)

func seed(t *testing.T, name string) scenarios.Scenario {
	t.Helper()
	sc, ok := goldenSeeds(t)[name]
	require.True(t, ok)
	return sc
}

func TestPlayEnvelopes(t *testing.T) {
	t.Parallel()
	sc := seed(t, scenarios.SeedCounterfeitRuling)
	envs, err := scenarios.Play(sc, policy.Default(), nil)
	require.NoError(t, err)
	require.NoError(t, events.VerifyChain(nil, envs))

	step := 0
	ids := map[uuid.UUID]bool{}
	for i, env := range envs {
		// Find the step that produced env: its command id names it.
		for env.CommandID != commandID(sc, step) {
			step++
			require.Less(t, step, len(sc.Steps), "event %d has an unknown command id %q", i, env.CommandID)
		}
		assert.Equal(t, sc.TimeOf(step).UTC(), env.OccurredAt, "event %d occurs at its step's time", i)
		assert.Equal(t, sc.Steps[step].Actor, env.Actor)
		assert.Equal(t, events.StreamFor(sc.TicketID), env.Stream)
		assert.Equal(t, sc.TicketID, env.CorrelationID)
		version, _ := events.SchemaVersionOf(env.Type)
		assert.Equal(t, version, env.SchemaVersion, "recorded at its type's current schema version")
		assert.Equal(t, uint64(i), env.Revision)
		assert.Equal(t, uuid.Version(7), env.ID.Version())
		assert.False(t, ids[env.ID], "id %s used twice", env.ID)
		ids[env.ID] = true
	}
	assert.Equal(t, len(sc.Steps)-1, step, "every step recorded events")
}

func commandID(sc scenarios.Scenario, i int) string { return fmt.Sprintf("%s-%03d", sc.Name, i) }

func TestPlayIsDeterministic(t *testing.T) {
	t.Parallel()
	sc := seed(t, scenarios.SeedNeverShipped)
	a, err := scenarios.Play(sc, policy.Default(), nil)
	require.NoError(t, err)
	b, err := scenarios.Play(sc, policy.Default(), nil)
	require.NoError(t, err)
	assert.Equal(t, a, b)
}

func TestPlayUsesNewID(t *testing.T) {
	t.Parallel()
	var issued []uuid.UUID
	newID := func() uuid.UUID {
		id := uuid.Must(uuid.NewV7())
		issued = append(issued, id)
		return id
	}
	envs, err := scenarios.Play(seed(t, scenarios.SeedMerchantSilent), policy.Default(), newID)
	require.NoError(t, err)
	require.Len(t, issued, len(envs))
	for i, env := range envs {
		assert.Equal(t, issued[i], env.ID)
	}
}

func TestPlayRefusals(t *testing.T) {
	t.Parallel()
	base := seed(t, scenarios.SeedQualityExchange)
	with := func(edit func(*scenarios.Scenario)) scenarios.Scenario {
		sc := base
		sc.Steps = append([]scenarios.Step(nil), base.Steps...)
		edit(&sc)
		return sc
	}
	tests := []struct {
		name     string
		sc       scenarios.Scenario
		wantErr  error
		recorded int // events recorded before the failing step
	}{
		{"steps out of order", with(func(sc *scenarios.Scenario) { sc.Steps[2].At = sc.Steps[1].At - time.Second }),
			scenarios.ErrBadScenario, 2},
		{"missing command", with(func(sc *scenarios.Scenario) { sc.Steps[1].Command = nil }), scenarios.ErrBadScenario, 1},
		{"another ticket's id", with(func(sc *scenarios.Scenario) { sc.TicketID = "AS-OTHER" }), scenarios.ErrBadScenario, 1},
		{"refused by the domain", with(func(sc *scenarios.Scenario) {
			sc.Steps[3].Actor = events.Actor{Role: events.RoleMerchant, ID: "m-someone-else"}
		}), domain.ErrNotYourTicket, 3},
		{"a step skipped", with(func(sc *scenarios.Scenario) { sc.Steps = append(sc.Steps[:3], sc.Steps[4:]...) }),
			domain.ErrWrongState, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			envs, err := scenarios.Play(tt.sc, policy.Default(), nil)
			require.Error(t, err)
			assert.True(t, errors.Is(err, tt.wantErr), "got %v", err)
			assert.Len(t, envs, tt.recorded, "the stream up to the failing step is returned")
		})
	}
}

func TestStableID(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 2, 1, 30, 0, 123_000_000, time.UTC)
	id := scenarios.StableID("AS1", at, 3)
	assert.Equal(t, uuid.Version(7), id.Version())
	assert.Equal(t, uuid.RFC4122, id.Variant())
	sec, nsec := id.Time().UnixTime()
	assert.Equal(t, at.UnixMilli(), sec*1000+nsec/1_000_000, "the v7 timestamp is the event's millisecond")
	assert.Equal(t, id, scenarios.StableID("AS1", at, 3), "deterministic")
	assert.NotEqual(t, id, scenarios.StableID("AS1", at, 4), "differs by revision")
	assert.NotEqual(t, id, scenarios.StableID("AS2", at, 3), "differs by ticket")
	later := scenarios.StableID("AS1", at.Add(time.Millisecond), 0)
	assert.Less(t, id.String(), later.String(), "sorts by time")
}
