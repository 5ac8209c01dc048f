package postgres_test

import (
	"context"
	"testing"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/postgres"
	"github.com/disputes-ledger/disputes/eventstore/storetest"
	"github.com/disputes-ledger/disputes/internal/testenv"
	"github.com/stretchr/testify/require"
)

// openStore opens a store in a fresh schema of the test database and closes
// it when the test ends (before the schema is dropped).
func openStore(tb testing.TB, cfg postgres.Config) (*postgres.Store, string) {
	tb.Helper()
	connString, _ := testenv.PostgresSchema(tb)
	s, err := postgres.Open(context.Background(), connString, cfg)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, s.Close()) })
	return s, connString
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		s, _ := openStore(t, postgres.Config{})
		return s
	})
}
