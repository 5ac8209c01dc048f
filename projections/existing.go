package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrNoReadModels is returned (wrapped) by CheckReadModels when the
// database holds no read models yet: run the projector ('disputes project').
var ErrNoReadModels = errors.New("no read models here yet")

// Existing wraps an open database that already holds read models, for
// queries: unlike NewDB it creates nothing, so it serves read-only
// connections. CheckReadModels says whether the read models are there.
//
// On SQLite it makes sure the row feed's module (feed.go) is on db's
// driver, which the package put there as it was initialised.
func Existing(db *sql.DB, d Dialect) *DB {
	if d == SQLite {
		registerFeed(db)
	}
	return &DB{SQL: db, Dialect: d}
}

// CheckReadModels reports ErrNoReadModels when the bookkeeping table the
// projector creates first is missing.
func (db *DB) CheckReadModels(ctx context.Context) error {
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
