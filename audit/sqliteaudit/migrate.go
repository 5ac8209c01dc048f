package sqliteaudit

import (
	"context"
	"database/sql"
	"errors"

	"github.com/disputes-ledger/disputes/internal/sqlitemigrate"
)

// ErrSchemaTooNew is returned by Open when the seal tables were migrated by
// a newer version of this package.
var ErrSchemaTooNew = errors.New("seal store schema is newer than this program")

// migrations are forward-only and never edited once released.
var migrations = []sqlitemigrate.Migration{
	{
		Version: 1,
		Name:    "create audit_seals",
		Statements: []string{
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

func migrate(ctx context.Context, db *sql.DB) error {
	return sqlitemigrate.Apply(ctx, db, migrationsTable, migrations, ErrSchemaTooNew)
}
