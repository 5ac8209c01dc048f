package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// DB is the database that holds the read models: a *sql.DB and its dialect.
type DB struct {
	SQL     *sql.DB
	Dialect Dialect
}

// OpenSQLite opens (creating if needed) the read models in the SQLite file
// at path, which may be the ledger's own file: the tables are prefixed rm_
// and never touch the event store's.
//
// The connection uses sqlite.DSN's pragmas (WAL, busy timeout, BEGIN
// IMMEDIATE) except synchronous, which is NORMAL rather than FULL: in WAL
// mode a commit is still atomic, and a power cut can only drop the last
// commits whole, checkpoint and rows together, which the projections then
// apply again. Read models are rebuildable; the fsync per commit is not
// worth it. The pool holds one connection, so the projections of one
// process queue for SQLite's single write lock in Go, instead of sleeping
// in SQLite's busy handler.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	db, err := sql.Open("sqlite", sqlite.DSN(path)+"&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, fmt.Errorf("open read models %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	out := &DB{SQL: db, Dialect: SQLite}
	if err := out.ensureBookkeeping(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("open read models %s: %w", path, err), db.Close())
	}
	return out, nil
}

// Close closes the database.
func (db *DB) Close() error { return db.SQL.Close() }

// The bookkeeping tables every projection shares.
const (
	checkpointsTable = "rm_checkpoints"
	parkedTable      = "rm_parked"
)

var bookkeepingDDL = []string{
	`CREATE TABLE IF NOT EXISTS ` + checkpointsTable + ` (
		projection     TEXT   NOT NULL PRIMARY KEY,
		position       BIGINT NOT NULL,
		schema_version BIGINT NOT NULL,
		updated_at     TEXT   NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS ` + parkedTable + ` (
		projection  TEXT   NOT NULL,
		position    BIGINT NOT NULL,
		event_id    TEXT   NOT NULL,
		stream      TEXT   NOT NULL,
		event_type  TEXT   NOT NULL,
		reason      TEXT   NOT NULL,
		parked_at   TEXT   NOT NULL,
		resolved_at TEXT,
		resolution  TEXT,
		PRIMARY KEY (projection, position)
	)`,
}

func (db *DB) ensureBookkeeping(ctx context.Context) error {
	for _, ddl := range bookkeepingDDL {
		if _, err := db.SQL.ExecContext(ctx, db.Dialect.Table(ddl)); err != nil {
			return fmt.Errorf("create bookkeeping tables: %w", err)
		}
	}
	return nil
}

// Checkpoint returns the position of the last event the named projection
// committed, 0 if it has none.
func (db *DB) Checkpoint(ctx context.Context, name string) (uint64, error) {
	var pos int64
	err := db.SQL.QueryRowContext(ctx, db.Dialect.Q(`SELECT position FROM `+checkpointsTable+` WHERE projection = ?`), name).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read checkpoint of %s: %w", name, err)
	}
	return uint64(pos), nil
}

// Parked is an event a projection could not apply, as recorded in rm_parked.
type Parked struct {
	Projection string
	Position   uint64
	EventID    string
	Stream     string
	EventType  string
	Reason     string
	ParkedAt   time.Time
	// ResolvedAt is set once the projection got past the event (after a fix).
	ResolvedAt *time.Time
	Resolution string
}

// ParkedEvents returns the parked events, unresolved first, by projection
// and position.
func (db *DB) ParkedEvents(ctx context.Context) ([]Parked, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT projection, position, event_id, stream, event_type, reason, parked_at, resolved_at, resolution
		FROM `+parkedTable+` ORDER BY resolved_at IS NOT NULL, projection, position`)
	if err != nil {
		return nil, fmt.Errorf("read parked events: %w", err)
	}
	defer rows.Close()
	var out []Parked
	for rows.Next() {
		var (
			p                     Parked
			pos                   int64
			parked                string
			resolved, resolvedHow sql.NullString
		)
		if err := rows.Scan(&p.Projection, &pos, &p.EventID, &p.Stream, &p.EventType, &p.Reason, &parked, &resolved, &resolvedHow); err != nil {
			return nil, fmt.Errorf("read parked events: %w", err)
		}
		p.Position, p.Resolution = uint64(pos), resolvedHow.String
		if p.ParkedAt, err = parseTime(parked); err != nil {
			return nil, err
		}
		if p.ResolvedAt, err = parseNullTime(resolved); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read parked events: %w", err)
	}
	return out, nil
}

// park records that projection could not apply the event at ev's position.
func (db *DB) park(ctx context.Context, projection string, f Failure, at time.Time) error {
	_, err := db.SQL.ExecContext(ctx, db.Dialect.Q(`INSERT INTO `+parkedTable+`
		(projection, position, event_id, stream, event_type, reason, parked_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (projection, position) DO UPDATE SET reason = excluded.reason, parked_at = excluded.parked_at,
			resolved_at = NULL, resolution = NULL`),
		projection, int64(f.Position), f.EventID, f.Stream, f.EventType, f.Reason, formatTime(at))
	if err != nil {
		return fmt.Errorf("park %s position %d: %w", projection, f.Position, err)
	}
	return nil
}
