package projections_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/disputes-ledger/disputes/internal/testenv"
	"github.com/disputes-ledger/disputes/projections"
)

// TestPostgresConcurrentStartUp opens the read models of a fresh schema
// from several replicas at once: one creates the bookkeeping tables, the
// others find them (no duplicate pg_type row, no "already exists").
func TestPostgresConcurrentStartUp(t *testing.T) {
	connString, _ := testenv.PostgresSchema(t)
	const n = 6
	errs := make(chan error, n)
	for range n {
		go func() {
			pool, err := sql.Open("pgx", connString)
			if err != nil {
				errs <- err
				return
			}
			db, err := projections.NewDB(context.Background(), pool, projections.Postgres)
			if err == nil {
				err = db.Close()
			} else {
				_ = pool.Close()
			}
			errs <- err
		}()
	}
	for range n {
		assert.NoError(t, <-errs)
	}
}
