package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"

	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// ErrNoReadModels is returned (wrapped) by the read-only opens when the
// database holds no read models yet: run the projector ('disputes project').
var ErrNoReadModels = errors.New("no read models here yet")

// OpenSQLiteReadOnly opens the read models in the existing SQLite file at
// path for queries only: nothing is created or written, the file keeps
// every byte, and read-only media work (see sqlite.OpenReadOnlyDB).
func OpenSQLiteReadOnly(ctx context.Context, path string) (*DB, error) {
	db, err := sqlite.OpenReadOnlyDB(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open read models %s: %w", path, err)
	}
	out := &DB{SQL: db, Dialect: SQLite}
	if err := out.checkReadModels(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("open read models %s: %w", path, err), db.Close())
	}
	return out, nil
}

// OpenPostgresReadOnly opens the read models at connString for queries
// only, in sessions that refuse writes.
func OpenPostgresReadOnly(ctx context.Context, connString string) (*DB, error) {
	u, err := url.Parse(connString)
	if err != nil {
		return nil, fmt.Errorf("open read models %s: %w", redacted(connString), err)
	}
	q := u.Query()
	q.Set("default_transaction_read_only", "on")
	u.RawQuery = q.Encode()
	pool, err := sql.Open("pgx", u.String())
	if err != nil {
		return nil, fmt.Errorf("open read models %s: %w", redacted(connString), err)
	}
	out := &DB{SQL: pool, Dialect: Postgres}
	if err := out.checkReadModels(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("open read models %s: %w", redacted(connString), err), pool.Close())
	}
	return out, nil
}

// checkReadModels reports ErrNoReadModels when the bookkeeping table the
// projector creates first is missing.
func (db *DB) checkReadModels(ctx context.Context) error {
	var n int
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if db.Dialect == Postgres {
		q = `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = $1`
	}
	if err := db.SQL.QueryRowContext(ctx, q, checkpointsTable).Scan(&n); err != nil {
		return fmt.Errorf("look for read models: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("%w: run 'disputes project'", ErrNoReadModels)
	}
	return nil
}
