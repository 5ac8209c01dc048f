package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/backendtest"
	"github.com/disputes-ledger/disputes/eventstore/postgres"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// TestReadOnly: a read-only open creates nothing in a schema without a
// ledger, reads a ledger, refuses to append and refuses a newer schema.
func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	connString, schema := testenv.PostgresSchema(t)
	conn := rawConn(t, connString)
	tables := func() []string {
		rows, err := conn.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename`, schema)
		require.NoError(t, err)
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		return names
	}
	_, err := postgres.Open(ctx, connString, postgres.Config{ReadOnly: true})
	require.ErrorIs(t, err, postgres.ErrNotLedger)
	assert.Empty(t, tables(), "nothing created")

	w, err := postgres.Open(ctx, connString, postgres.Config{})
	require.NoError(t, err)
	_, err = w.Append(ctx, "s", eventstore.NoStream(), backendtest.Events(0, 3))
	require.NoError(t, err)
	require.NoError(t, w.Close())

	r, err := postgres.Open(ctx, connString, postgres.Config{ReadOnly: true})
	require.NoError(t, err)
	all, err := r.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	assert.Len(t, all, 3)
	_, err = r.Append(ctx, "s", eventstore.Exact(2), backendtest.Events(3, 1))
	assert.ErrorIs(t, err, postgres.ErrReadOnly)
	require.NoError(t, r.Close())

	_, err = conn.Exec(ctx, `INSERT INTO eventstore_migrations (version, name) VALUES (99, 'from the future')`)
	require.NoError(t, err)
	_, err = postgres.Open(ctx, connString, postgres.Config{ReadOnly: true})
	assert.ErrorIs(t, err, postgres.ErrSchemaTooNew)
}
