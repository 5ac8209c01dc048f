package audit_test

import (
	"context"
	"crypto/ed25519"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/internal/fixture"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
)

func TestVerifyLogCleanLedger(t *testing.T) {
	ctx := context.Background()
	log := memoryLog(t, 70)
	seals := &fixture.Seals{}
	key := testKey("ledger")
	s, err := audit.NewSealer(log, seals, key, steppingClock(t0))
	require.NoError(t, err)
	// Seal part-way, then to the head, so there are two seals to check.
	half := &fixture.Memory{Records: log.Records[:len(log.Records)/2]}
	s1, err := audit.NewSealer(half, seals, key, steppingClock(t0))
	require.NoError(t, err)
	_, made, err := s1.SealToHead(ctx)
	require.NoError(t, err)
	require.True(t, made)
	_, made, err = s.SealToHead(ctx)
	require.NoError(t, err)
	require.True(t, made)

	rep, err := audit.VerifyLog(ctx, "memory", log, seals, audit.Options{
		PublicKey: key.Public().(ed25519.PublicKey), Policies: audit.NewPolicySet(policy.Default())})
	require.NoError(t, err)
	for _, f := range rep.Findings {
		t.Errorf("finding: %+v", f)
	}
	assert.True(t, rep.OK())
	assert.Equal(t, len(log.Records), rep.Events)
	assert.Equal(t, 70, rep.Tickets)
	assert.Equal(t, 2, rep.Seals)
	assert.Equal(t, 40, rep.Rulings)
	assert.Equal(t, uint64(len(log.Records)), rep.SealedSize)
	t.Logf("%d events, warnings %v", rep.Events, rep.Warnings)
}

// TestVerifyGeneratedTicketsClean runs the scenario generator's tickets —
// every path of the lifecycle, decided by the domain — through the
// verifier: the legality replay, which is the domain's own check, finds
// nothing in what the domain decided.
func TestVerifyGeneratedTicketsClean(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	m := &fixture.Memory{}
	types := map[string]bool{}
	for _, sc := range scenarios.Generate(11, 300, t0, pol) {
		stream, err := scenarios.Play(sc, pol, nil)
		require.NoError(t, err)
		for _, env := range stream {
			data, err := events.Encode(env)
			require.NoError(t, err)
			m.Records = append(m.Records, recordOf(env, data, uint64(len(m.Records)+1)))
			types[env.Type] = true
		}
	}
	rep, err := audit.VerifyLog(context.Background(), "generated", m, &fixture.Seals{}, audit.Options{Policies: audit.NewPolicySet(pol), TrustOnFirstUse: true, AllowUnsealed: true})
	require.NoError(t, err)
	for _, f := range rep.Findings {
		t.Errorf("finding: %+v", f)
	}
	assert.Equal(t, len(m.Records), rep.Events)
	assert.Equal(t, 300, rep.Tickets)
	assert.Greater(t, len(types), 20, "the generated tickets cover most event types")
}
