package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

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

// migration is one numbered, forward-only schema step. Applied migrations are
// never edited: a change is a new migration. Statements name tables as
// {events}, {head} and {migrations}, replaced by their schema-qualified names.
type migration struct {
	version    int
	name       string
	statements []string
}

// migrations must be numbered 1, 2, 3… without gaps (TestMigrationsNumbered).
var migrations = []migration{
	{
		version: 1,
		name:    "create events and head",
		statements: []string{
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

// migrate brings the schema up to date in one transaction: a failure part-way
// leaves it at the old version, and the next Open tries again. A
// transaction-level advisory lock keyed on the schema makes concurrent Opens
// wait for each other instead of both applying a migration.
func migrate(ctx context.Context, pool *pgxpool.Pool, t tables, rawSchema string) (err error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, tx.Rollback(context.WithoutCancel(ctx)))
		}
	}()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "disputes.eventstore.migrate:"+rawSchema); err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	// Create the schema only when it is missing: CREATE SCHEMA IF NOT EXISTS
	// would demand the CREATE privilege on the database even then.
	var haveSchema bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, rawSchema).Scan(&haveSchema); err != nil {
		return fmt.Errorf("look up schema: %w", err)
	}
	if !haveSchema {
		if _, err := tx.Exec(ctx, `CREATE SCHEMA `+t.schema); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, t.expand(`CREATE TABLE IF NOT EXISTS {migrations} (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`)); err != nil {
		return fmt.Errorf("create %s: %w", migrationsTable, err)
	}
	var current int
	if err := tx.QueryRow(ctx, t.expand(`SELECT coalesce(max(version), 0) FROM {migrations}`)).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	latest := migrations[len(migrations)-1].version
	if current > latest {
		return fmt.Errorf("schema version %d, this program knows up to %d: %w", current, latest, ErrSchemaTooNew)
	}
	for _, m := range migrations[current:] {
		for _, stmt := range m.statements {
			if _, err := tx.Exec(ctx, t.expand(stmt)); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
		}
		if _, err := tx.Exec(ctx, t.expand(`INSERT INTO {migrations} (version, name) VALUES ($1, $2)`), m.version, m.name); err != nil {
			return fmt.Errorf("record migration %d: %w", m.version, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit migrations: %w", err)
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
