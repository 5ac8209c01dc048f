package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrSchemaTooNew is returned by Open when the file was migrated by a newer
// version of this package: running old code on it could corrupt it.
var ErrSchemaTooNew = errors.New("database schema is newer than this program")

// migration is one numbered, forward-only schema step. Applied migrations are
// never edited: a change is a new migration.
type migration struct {
	version    int
	name       string
	statements []string
}

// migrations must be numbered 1, 2, 3… without gaps (TestMigrationsNumbered).
var migrations = []migration{
	{
		version: 1,
		name:    "create events",
		statements: []string{
			// position is the rowid; the writer assigns it explicitly so it
			// knows each event's position without a round trip.
			`CREATE TABLE events (
				position INTEGER PRIMARY KEY,
				id       BLOB    NOT NULL UNIQUE CHECK (length(id) = 16),
				stream   TEXT    NOT NULL CHECK (stream <> ''),
				revision INTEGER NOT NULL CHECK (revision >= 0),
				type     TEXT    NOT NULL,
				data     BLOB    NOT NULL,
				UNIQUE (stream, revision)
			) STRICT`,
			`CREATE INDEX events_type_position ON events (type, position)`,
		},
	},
}

// migrationsTable is prefixed because read models may share the file and
// keep their own migration bookkeeping.
const migrationsTable = "eventstore_migrations"

// migrate brings the schema up to date in one transaction: a crash part-way
// leaves the file at the old version, and the next Open tries again. db must
// open transactions with BEGIN IMMEDIATE so concurrent Opens of the same file
// serialise instead of both applying a migration.
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
		return fmt.Errorf("schema version %d, this program knows up to %d: %w", current, latest, ErrSchemaTooNew)
	}
	for _, m := range migrations[current:] {
		for _, stmt := range m.statements {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO `+migrationsTable+` (version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
			return fmt.Errorf("record migration %d: %w", m.version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migrations: %w", err)
	}
	return nil
}

// SchemaVersion returns the schema version recorded in the store's file.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.rdb.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM `+migrationsTable).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
