package pgmigrate

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Connect opens a pool on connString (a PostgreSQL URL or DSN as pgx reads
// it) for one owner of a shared schema, and returns the schema the owner
// works in: schema when given, else the first existing schema on the
// connection's search_path. A read-only pool runs every transaction read-only
// on the server, so not even a bug can write through it. Errors never echo
// the connection string, which may hold a password.
func Connect(ctx context.Context, connString, schema string, readOnly bool) (_ *pgxpool.Pool, _ string, err error) {
	poolCfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, "", fmt.Errorf("parse connection string: %w", err)
	}
	if readOnly {
		poolCfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	}
	pool, err := pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		return nil, "", err
	}
	defer func() {
		if err != nil {
			pool.Close()
		}
	}()
	if schema != "" {
		return pool, schema, nil
	}
	var current *string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&current); err != nil {
		return nil, "", fmt.Errorf("current schema: %w", err)
	}
	if current == nil {
		return nil, "", errors.New("no schema on the search_path exists; name one")
	}
	return pool, *current, nil
}
