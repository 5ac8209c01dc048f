package readmodels_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/cmd/internal/readmodels"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/testenv"
	"github.com/disputes-ledger/disputes/projections"
)

// TestLocate pins where the read models live for each store and
// --projections: the ledger's own database when it can hold SQL tables,
// PostgreSQL included, and --db only beside KurrentDB.
func TestLocate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, store, readModels string
		want                    readmodels.Where
		shown                   string
	}{
		{"a SQLite ledger keeps them in its file", "sqlite:l.db", "",
			readmodels.Where{Dialect: projections.SQLite, Path: "l.db", InLedger: true}, "sqlite:l.db"},
		{"a PostgreSQL ledger keeps them in its database", "postgres://u:pw@h/db?search_path=s", "",
			readmodels.Where{Dialect: projections.Postgres, URL: "postgres://u:pw@h/db?search_path=s"}, "postgres://u:xxxxx@h/db?search_path=s"},
		{"beside KurrentDB, in the --db file", "kurrentdb://h:2113", "",
			readmodels.Where{Dialect: projections.SQLite, Path: "fallback.db"}, "sqlite:fallback.db"},
		{"--projections in a file wins", "postgres://h/db", "sqlite:rm.db",
			readmodels.Where{Dialect: projections.SQLite, Path: "rm.db"}, "sqlite:rm.db"},
		{"--projections in PostgreSQL wins", "sqlite:l.db", "postgres://h/rm",
			readmodels.Where{Dialect: projections.Postgres, URL: "postgres://h/rm"}, "postgres://h/rm"},
	} {
		got, err := readmodels.Locate(c.store, c.readModels, "fallback.db")
		require.NoError(t, err, c.name)
		assert.Equal(t, c.want, got, c.name)
		assert.Equal(t, c.shown, got.String(), c.name)
	}
	_, err := readmodels.Locate("sqlite:l.db", "kurrentdb://h:2113", "fallback.db")
	assert.ErrorIs(t, err, readmodels.ErrUnsupported)
}

// TestOpenReadOnlyCreatesNothing opens read models that are not there
// yet: a missing file, a ledger without read models; neither is created.
func TestOpenReadOnlyCreatesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	_, err := readmodels.OpenReadOnly(ctx, readmodels.Where{Dialect: projections.SQLite, Path: filepath.Join(dir, "none.db")})
	require.Error(t, err)
	assert.NoFileExists(t, filepath.Join(dir, "none.db"))

	ledger := filepath.Join(dir, "ledger.db")
	store, err := sqlite.Open(ctx, ledger, sqlite.Config{})
	require.NoError(t, err)
	require.NoError(t, store.Close())
	before := testenv.LedgerFiles(t, ledger)
	_, err = readmodels.OpenReadOnly(ctx, readmodels.Where{Dialect: projections.SQLite, Path: ledger, InLedger: true})
	assert.ErrorIs(t, err, projections.ErrNoReadModels)
	assert.Equal(t, before, testenv.LedgerFiles(t, ledger), "no byte changed")

	w := readmodels.Where{Dialect: projections.SQLite, Path: ledger, InLedger: true}
	db, err := readmodels.Open(ctx, w)
	require.NoError(t, err)
	queries, err := readmodels.OpenQueries(w, db, 2)
	require.NoError(t, err)
	assert.NotSame(t, db, queries, "SQLite queries read through their own pool")
	_, err = queries.SQL.ExecContext(ctx, `CREATE TABLE x (y INTEGER)`)
	assert.Error(t, err, "the query pool cannot write")
	require.NoError(t, queries.Close())
	require.NoError(t, db.Close())
	ro, err := readmodels.OpenReadOnly(ctx, w)
	require.NoError(t, err)
	require.NoError(t, ro.Close())
}

// TestPostgresReadModels opens read models in a PostgreSQL schema: the
// projector's pool serves the queries too, and a read-only open refuses
// writes.
func TestPostgresReadModels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url, _ := testenv.PostgresSchema(t)
	w := readmodels.Where{Dialect: projections.Postgres, URL: url}
	_, err := readmodels.OpenReadOnly(ctx, w)
	assert.ErrorIs(t, err, projections.ErrNoReadModels)
	db, err := readmodels.Open(ctx, w)
	require.NoError(t, err)
	defer db.Close()
	queries, err := readmodels.OpenQueries(w, db, 4)
	require.NoError(t, err)
	assert.Same(t, db, queries)
	ro, err := readmodels.OpenReadOnly(ctx, w)
	require.NoError(t, err)
	defer ro.Close()
	_, err = ro.SQL.ExecContext(ctx, `CREATE TABLE x (y BIGINT)`)
	assert.Error(t, err, "a read-only session refuses writes")
}
