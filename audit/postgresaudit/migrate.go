package postgresaudit

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/disputes-ledger/disputes/internal/pgmigrate"
)

// ErrSchemaTooNew is returned by Open when the seal tables were migrated by
// a newer version of this package.
var ErrSchemaTooNew = errors.New("seal store schema is newer than this program")

// Table names, unquoted. eventsTable is the event store's (package
// eventstore/postgres), read only.
const (
	sealsTable      = "audit_seals"
	migrationsTable = "audit_migrations"
	eventsTable     = "eventstore_events"
)

// migrations are forward-only and never edited once released. {seals} is
// replaced by the schema-qualified table name.
var migrations = []pgmigrate.Migration{
	{
		Version: 1,
		Name:    "create audit_seals",
		Statements: []string{
			// One seal per size: two seals of one size must be the same seal.
			// Columns hold what the signature covers, byte for byte (the time
			// as signed, RFC 3339 with nanoseconds, which timestamptz would
			// round to microseconds), and the public key that verifies it.
			`CREATE TABLE {seals} (
				size       bigint PRIMARY KEY CHECK (size > 0),
				root       bytea  NOT NULL CHECK (length(root) = 32),
				sealed_at  text   NOT NULL,
				key_id     text   NOT NULL,
				signature  bytea  NOT NULL,
				public_key bytea  NOT NULL CHECK (length(public_key) = 32)
			)`,
		},
	},
}

// tables holds the schema-qualified, quoted table names.
type tables struct {
	seals, events string
}

func newTables(schema string) tables {
	return tables{
		seals:  pgx.Identifier{schema, sealsTable}.Sanitize(),
		events: pgx.Identifier{schema, eventsTable}.Sanitize(),
	}
}

func (t tables) expand(stmt string) string {
	return strings.NewReplacer("{seals}", t.seals, "{events}", t.events).Replace(stmt)
}
