package postgresaudit_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/postgresaudit"
	"github.com/disputes-ledger/disputes/audit/sealtest"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

var errStale = errors.New("stale owner")

// TestFencedConformance: a fence that passes leaves the store a SealStore
// like any other.
func TestFencedConformance(t *testing.T) {
	sealtest.Run(t, func(t *testing.T) sealtest.Open {
		connString, _ := testenv.PostgresSchema(t)
		return func(t *testing.T) audit.SealStore {
			return open(t, connString, postgresaudit.Config{}).Fenced(func(context.Context, pgx.Tx) error { return nil })
		}
	})
}

func TestFencedStoresNothingWhenTheFenceRefuses(t *testing.T) {
	connString, _ := testenv.PostgresSchema(t)
	s := open(t, connString, postgresaudit.Config{})
	ctx := context.Background()
	key := sealtest.Key("sealer")
	owner := true
	fenced := s.Fenced(func(ctx context.Context, tx pgx.Tx) error {
		// The fence runs in the seal's transaction: what it sees and locks
		// holds until the seal commits.
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil {
			return err
		}
		if !owner {
			return errStale
		}
		return nil
	})
	pub := key.Public().(ed25519.PublicKey)
	require.NoError(t, fenced.AddSeal(ctx, sealtest.Signed(t, key, 3, "a"), pub))
	owner = false
	err := fenced.AddSeal(ctx, sealtest.Signed(t, key, 5, "b"), pub)
	assert.ErrorIs(t, err, errStale)
	latest, ok, err := s.LatestSeal(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, uint64(3), latest.Size, "the refused seal was not stored")
}
