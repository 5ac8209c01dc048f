package audit_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit/internal/fixture"
	"github.com/disputes-ledger/disputes/domain/policy"
)

// t0 is a Monday morning in Shanghai.
var t0 = time.Date(2026, 11, 2, 1, 30, 0, 0, time.UTC)

// testKey returns a fixed Ed25519 key named by label.
func testKey(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(label))
	return ed25519.NewKeyFromSeed(seed[:])
}

// memoryLog plays n fixture flows into an in-memory log.
func memoryLog(tb testing.TB, n int) *fixture.Memory {
	tb.Helper()
	m := fixture.NewMemory(policy.Default())
	require.NoError(tb, fixture.Run(context.Background(), fixture.Flows(t0, n), m))
	return m
}

// steppingClock returns a clock that advances a second per reading.
func steppingClock(start time.Time) func() time.Time {
	now := start
	return func() time.Time {
		now = now.Add(time.Second)
		return now
	}
}
