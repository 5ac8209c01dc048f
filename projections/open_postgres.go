package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// OpenPostgres opens read models in the PostgreSQL database connString names
// (add search_path=SCHEMA to choose the schema). The tables, columns and SQL
// are the ones SQLite gets; only the dialect differs.
func OpenPostgres(ctx context.Context, connString string) (*DB, error) {
	pool, err := sql.Open("pgx", connString)
	if err != nil {
		return nil, fmt.Errorf("open read models %s: %w", redacted(connString), err)
	}
	out, err := NewDB(ctx, pool, Postgres)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open read models %s: %w", redacted(connString), err), pool.Close())
	}
	return out, nil
}

// redacted hides a password in a connection URL for messages.
func redacted(connString string) string {
	if u, err := url.Parse(connString); err == nil && u.User != nil {
		return u.Redacted()
	}
	return "postgres database"
}
