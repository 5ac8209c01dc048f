package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/disputes-ledger/disputes/internal/sqlitemigrate"
)

// ErrSchemaTooNew is returned by Open when the file was migrated by a newer
// version of this package: running old code on it could corrupt it.
var ErrSchemaTooNew = errors.New("database schema is newer than this program")

// migrations must be numbered 1, 2, 3… without gaps (TestMigrationsNumbered).
var migrations = []sqlitemigrate.Migration{
	{
		Version: 1,
		Name:    "create events",
		Statements: []string{
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

// migrate brings the schema up to date; see sqlitemigrate.Apply. db must
// open transactions with BEGIN IMMEDIATE so concurrent Opens of the same
// file serialise instead of both applying a migration.
func migrate(ctx context.Context, db *sql.DB) error {
	return sqlitemigrate.Apply(ctx, db, migrationsTable, migrations, ErrSchemaTooNew)
}

// SchemaVersion returns the schema version recorded in the store's file.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	return sqlitemigrate.Version(ctx, s.rdb, migrationsTable)
}
