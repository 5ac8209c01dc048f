package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/eventstore/storetest"
	"github.com/stretchr/testify/require"
)

// openStore opens a store on a fresh file in the test's temporary directory
// and closes it when the test ends.
func openStore(tb testing.TB, cfg sqlite.Config) (*sqlite.Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "events.db")
	s, err := sqlite.Open(context.Background(), path, cfg)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, s.Close()) })
	return s, path
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		s, _ := openStore(t, sqlite.Config{})
		return s
	})
}
