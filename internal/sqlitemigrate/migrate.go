// Package sqlitemigrate applies numbered, forward-only schema migrations to
// an SQLite database that several owners share: each owner keeps its own
// bookkeeping table, so the event store, the seal store and the read models
// can live in one file without stepping on each other's versions.
package sqlitemigrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Migration is one schema step. Released migrations are never edited: a
// change is a new migration.
type Migration struct {
	Version    int
	Name       string
	Statements []string
}

// Apply brings the schema up to date in one transaction: a crash part-way
// leaves the database at the old version and the next call tries again.
// migrations must be numbered 1, 2, 3… without gaps. table is the owner's
// bookkeeping table. A database migrated beyond the last known version
// fails with an error wrapping tooNew: running old code on it could corrupt
// it. db should open transactions with BEGIN IMMEDIATE so that concurrent
// callers on one file serialise instead of both applying a migration.
func Apply(ctx context.Context, db *sql.DB, table string, migrations []Migration, tooNew error) (err error) {
	for i, m := range migrations {
		if m.Version != i+1 {
			return fmt.Errorf("migration %q has version %d, want %d", m.Name, m.Version, i+1)
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, tx.Rollback())
		}
	}()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+table+` (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("create %s: %w", table, err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM `+table).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("%s at version %d, this program knows up to %d: %w", table, current, len(migrations), tooNew)
	}
	for _, m := range migrations[current:] {
		for _, stmt := range m.Statements {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
			return fmt.Errorf("record migration %d: %w", m.Version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migrations: %w", err)
	}
	return nil
}

// Version returns the version recorded in table, 0 if none.
func Version(ctx context.Context, db *sql.DB, table string) (int, error) {
	var v int
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM `+table).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
