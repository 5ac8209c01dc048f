package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/disputes-ledger/disputes/eventstore/internal/backendtest"
	"github.com/disputes-ledger/disputes/eventstore/internal/groupcommit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// commitBatch commits batch as one complete group-commit batch.
func (s *Store) commitBatch(batch []*groupcommit.Request) []groupcommit.Response {
	return s.commit(groupcommit.Complete(batch))
}

func openTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "events.db"), Config{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// TestBatchRequestsAreIndependent: see backendtest. Here a request that
// fails half-way is undone through its savepoint.
func TestBatchRequestsAreIndependent(t *testing.T) {
	s := openTestStore(t)
	backendtest.BatchRequestsAreIndependent(t, s, s.commitBatch, &s.stats)
}

// TestGroupCommit checks that concurrent appends share transactions.
func TestGroupCommit(t *testing.T) {
	s := openTestStore(t)
	backendtest.GroupCommit(t, s, &s.stats)
}

func TestMigrationsNumbered(t *testing.T) {
	for i, m := range migrations {
		assert.Equal(t, i+1, m.Version, "migration %q", m.Name)
		assert.NotEmpty(t, m.Statements, "migration %d", m.Version)
	}
}
