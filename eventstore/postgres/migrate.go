package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/disputes-ledger/disputes/internal/pgmigrate"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrSchemaTooNew is returned by Open when the schema was migrated by a newer
// version of this package: running old code on it could corrupt it.
var ErrSchemaTooNew = errors.New("database schema is newer than this program")

// Table names. They are prefixed because read models may share the schema
// (and the pool) and keep their own tables and migration bookkeeping.
const (
	eventsTable     = "eventstore_events"
	headTable       = "eventstore_head"
	migrationsTable = "eventstore_migrations"
)

// ErrNotLedger is returned (wrapped) by Open with Config.ReadOnly for a
// schema that holds no event store: nothing is created there.
var ErrNotLedger = errors.New("no ledger in this schema")

// ErrReadOnly is returned (wrapped) by Append on a store opened with
// Config.ReadOnly.
var ErrReadOnly = errors.New("event store opened read-only")

// migrations must be numbered 1, 2, 3… without gaps (TestMigrationsNumbered).
// Statements name tables as {events}, {head} and {migrations}, replaced by
// their schema-qualified names.
var migrations = []pgmigrate.Migration{
	{
		Version: 1,
		Name:    "create events and head",
		Statements: []string{
			// position is assigned by the writer from {head} while it holds
			// the head row's lock; see the package doc.
			`CREATE TABLE {events} (
				position bigint PRIMARY KEY CHECK (position > 0),
				id       uuid   NOT NULL UNIQUE,
				stream   text   NOT NULL CHECK (stream <> ''),
				revision bigint NOT NULL CHECK (revision >= 0),
				type     text   NOT NULL,
				data     bytea  NOT NULL,
				UNIQUE (stream, revision)
			)`,
			`CREATE INDEX ON {events} (type, position)`,
			// One row: the last position handed out. Writers lock it for the
			// length of their transaction, which serialises position
			// assignment in commit order.
			`CREATE TABLE {head} (
				one      boolean PRIMARY KEY DEFAULT true CHECK (one),
				position bigint  NOT NULL CHECK (position >= 0)
			)`,
			`INSERT INTO {head} (position) VALUES (0)`,
		},
	},
}

// tables holds the schema-qualified, quoted table names.
type tables struct {
	schema, events, head, migrations string
}

func newTables(schema string) tables {
	q := func(name string) string { return pgx.Identifier{schema, name}.Sanitize() }
	return tables{
		schema:     pgx.Identifier{schema}.Sanitize(),
		events:     q(eventsTable),
		head:       q(headTable),
		migrations: q(migrationsTable),
	}
}

// expand replaces the table placeholders in a statement.
func (t tables) expand(stmt string) string {
	return strings.NewReplacer("{events}", t.events, "{head}", t.head, "{migrations}", t.migrations).Replace(stmt)
}

// migrate brings the schema up to date; see pgmigrate.Apply, whose lock
// makes concurrent Opens wait for each other instead of both applying a
// migration.
func migrate(ctx context.Context, pool *pgxpool.Pool, t tables, rawSchema string) error {
	return pgmigrate.Apply(ctx, pool, pgmigrate.Target{
		Schema: rawSchema, Table: migrationsTable, Expand: t.expand, TooNew: ErrSchemaTooNew,
	}, migrations)
}

// checkReadable checks, writing nothing, that the schema holds a store
// this program can read.
func checkReadable(ctx context.Context, pool *pgxpool.Pool, rawSchema string) error {
	v, exists, err := pgmigrate.Version(ctx, pool, rawSchema, migrationsTable)
	if err != nil {
		return err
	}
	if !exists || v == 0 {
		return ErrNotLedger
	}
	if latest := len(migrations); v > latest {
		return fmt.Errorf("schema version %d, this program knows up to %d: %w", v, latest, ErrSchemaTooNew)
	}
	return nil
}

// SchemaVersion returns the schema version recorded in the store's schema.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.pool.QueryRow(ctx, s.t.expand(`SELECT coalesce(max(version), 0) FROM {migrations}`)).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
