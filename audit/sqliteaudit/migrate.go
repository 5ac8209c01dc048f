package sqliteaudit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrSchemaTooNew is returned by Open when the seal tables were migrated by
// a newer version of this package.
var ErrSchemaTooNew = errors.New("seal store schema is newer than this program")

// migrations are forward-only and never edited once released.
var migrations = []struct {
	version    int
	name       string
	statements []string
}{
	{
		version: 1,
		name:    "create audit_seals",
		statements: []string{
			// One seal per size: two seals of one size must be the same seal.
			// Columns hold what the signature covers, byte for byte, and the
			// public key that verifies it, so an export needs no secret.
			`CREATE TABLE audit_seals (
				size       INTEGER PRIMARY KEY CHECK (size > 0),
				root       BLOB NOT NULL CHECK (length(root) = 32),
				sealed_at  TEXT NOT NULL,
				key_id     TEXT NOT NULL,
				signature  BLOB NOT NULL,
				public_key BLOB NOT NULL CHECK (length(public_key) = 32)
			) STRICT`,
		},
	},
}

const migrationsTable = "audit_migrations"

func migrate(ctx context.Context, db *sql.DB) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, tx.Rollback())
		}
	}()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+migrationsTable+` (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("create %s: %w", migrationsTable, err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM `+migrationsTable).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	latest := migrations[len(migrations)-1].version
	if current > latest {
		return fmt.Errorf("seal schema version %d, this program knows up to %d: %w", current, latest, ErrSchemaTooNew)
	}
	for _, m := range migrations[current:] {
		for _, stmt := range m.statements {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+migrationsTable+` (version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
			return fmt.Errorf("record migration %d: %w", m.version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migrations: %w", err)
	}
	return nil
}
