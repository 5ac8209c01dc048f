// Package pgmigrate applies numbered, forward-only schema migrations to a
// PostgreSQL schema that several owners share (the event store, the seal
// store): each owner keeps its own bookkeeping table, and one advisory lock
// per schema serialises every owner's migrations, so processes starting at
// once neither apply a step twice nor race to create the schema.
package pgmigrate

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Migration is one schema step. Released migrations are never edited: a
// change is a new migration. Statements may name tables through the
// placeholders the caller's Expand replaces.
type Migration struct {
	Version    int
	Name       string
	Statements []string
}

// Target says where an owner's migrations go.
type Target struct {
	// Schema is the unquoted schema name; Apply creates it when missing.
	Schema string
	// Table is the owner's unquoted bookkeeping table, in Schema.
	Table string
	// Expand rewrites a statement's table placeholders into
	// schema-qualified names; nil leaves statements as they are.
	Expand func(stmt string) string
	// TooNew is wrapped by the error for a schema migrated beyond the last
	// known version: running old code on it could corrupt it.
	TooNew error
}

// Apply brings the owner's tables up to date in one transaction: a failure
// part-way leaves them at the old version and the next call tries again.
// migrations must be numbered 1, 2, 3… without gaps.
func Apply(ctx context.Context, pool *pgxpool.Pool, t Target, migrations []Migration) (err error) {
	for i, m := range migrations {
		if m.Version != i+1 {
			return fmt.Errorf("migration %q has version %d, want %d", m.Name, m.Version, i+1)
		}
	}
	expand := t.Expand
	if expand == nil {
		expand = func(s string) string { return s }
	}
	table := pgx.Identifier{t.Schema, t.Table}.Sanitize()
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, tx.Rollback(context.WithoutCancel(ctx)))
		}
	}()
	if err := Lock(ctx, tx, t.Schema); err != nil {
		return err
	}
	// Create the schema only when it is missing: CREATE SCHEMA IF NOT EXISTS
	// would demand the CREATE privilege on the database even then.
	var haveSchema bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, t.Schema).Scan(&haveSchema); err != nil {
		return fmt.Errorf("look up schema: %w", err)
	}
	if !haveSchema {
		if _, err := tx.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{t.Schema}.Sanitize()); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+table+` (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("create %s: %w", t.Table, err)
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM `+table).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("%s at version %d, this program knows up to %d: %w", t.Table, current, len(migrations), t.TooNew)
	}
	for _, m := range migrations[current:] {
		for _, stmt := range m.Statements {
			if _, err := tx.Exec(ctx, expand(stmt)); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+table+` (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return fmt.Errorf("record migration %d: %w", m.Version, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit migrations: %w", err)
	}
	return nil
}

// Lock takes the schema's migration lock for the rest of tx: the one lock
// every owner's migrations take.
func Lock(ctx context.Context, tx pgx.Tx, schema string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "disputes.migrate:"+schema); err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	return nil
}

// Version returns the version recorded in the owner's bookkeeping table, 0
// if there is none yet, and whether the table exists. It takes no lock and
// writes nothing.
func Version(ctx context.Context, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}, schema, table string) (version int, exists bool, err error) {
	if err := q.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, pgx.Identifier{schema, table}.Sanitize()).Scan(&exists); err != nil {
		return 0, false, fmt.Errorf("look up %s: %w", table, err)
	}
	if !exists {
		return 0, false, nil
	}
	if err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM `+pgx.Identifier{schema, table}.Sanitize()).Scan(&version); err != nil {
		return 0, true, fmt.Errorf("read schema version: %w", err)
	}
	return version, true, nil
}
