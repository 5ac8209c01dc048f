package sqliteaudit_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/sealtest"
	"github.com/disputes-ledger/disputes/audit/sqliteaudit"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	sealtest.Run(t, func(t *testing.T) sealtest.Open {
		path := filepath.Join(t.TempDir(), "ledger.db")
		require.NoError(t, sqlite.Init(context.Background(), path))
		return func(t *testing.T) audit.SealStore {
			s, err := sqliteaudit.Open(context.Background(), path)
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			return s
		}
	})
}
