package sqlitemigrate_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/disputes-ledger/disputes/internal/sqlitemigrate"
)

var errTooNew = errors.New("too new")

func open(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestApplyIsIncrementalAndIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := open(t)
	one := []sqlitemigrate.Migration{{Version: 1, Name: "a", Statements: []string{`CREATE TABLE a (x INTEGER) STRICT`}}}
	require.NoError(t, sqlitemigrate.Apply(ctx, db, "m_migrations", one, errTooNew))
	require.NoError(t, sqlitemigrate.Apply(ctx, db, "m_migrations", one, errTooNew), "applying again is a no-op")
	two := append(one, sqlitemigrate.Migration{Version: 2, Name: "b", Statements: []string{`CREATE TABLE b (y INTEGER) STRICT`}})
	require.NoError(t, sqlitemigrate.Apply(ctx, db, "m_migrations", two, errTooNew))
	v, err := sqlitemigrate.Version(ctx, db, "m_migrations")
	require.NoError(t, err)
	assert.Equal(t, 2, v)

	err = sqlitemigrate.Apply(ctx, db, "m_migrations", one, errTooNew)
	assert.ErrorIs(t, err, errTooNew, "old code refuses a newer schema")

	other, err := sqlitemigrate.Version(ctx, db, "other_migrations")
	assert.Error(t, err, "each owner keeps its own table")
	assert.Zero(t, other)
}

func TestFailedMigrationLeavesTheOldVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := open(t)
	bad := []sqlitemigrate.Migration{{Version: 1, Name: "ok", Statements: []string{`CREATE TABLE a (x INTEGER) STRICT`, `NOT SQL`}}}
	require.Error(t, sqlitemigrate.Apply(ctx, db, "m_migrations", bad, errTooNew))
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'a'`).Scan(&n))
	assert.Zero(t, n, "the whole migration rolled back")
}

func TestMisnumberedMigrationsAreRefused(t *testing.T) {
	t.Parallel()
	err := sqlitemigrate.Apply(context.Background(), open(t), "m", []sqlitemigrate.Migration{{Version: 2, Name: "x"}}, errTooNew)
	assert.ErrorContains(t, err, "want 1")
}
