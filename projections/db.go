package projections

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DB is the database that holds the read models: a *sql.DB and its dialect.
type DB struct {
	SQL     *sql.DB
	Dialect Dialect

	mu    sync.Mutex
	stmts map[string]*sql.Stmt // prepared once, reused by every transaction

	// writing serialises this process's write transactions in Go, so they
	// queue for SQLite's single write lock here instead of sleeping in its
	// busy handler, and a connection stays free for reads and prepares.
	writing sync.Mutex
	// conn is the connection of the SQLite write transaction in progress
	// (nil outside one, and on PostgreSQL), which chunked writes its rows
	// to through the driver; guarded by writing.
	conn *sql.Conn
	// driverStmts are the statements chunked prepared on conn, by query,
	// closed when the write ends: the pool may close a connection once it
	// is back (past its idle connections), and the driver's statements
	// cannot be closed after their connection.
	driverStmts map[string]driver.Stmt
	// feedReady says conn has its row feed table (feed.go), noFeed that
	// it cannot have one; both for the write in progress.
	feedReady, noFeed bool
	// nativeReady says conn has its native row feed table
	// (feednative.go), noNative that it cannot have one; both for the
	// write in progress.
	nativeReady, noNative bool
	// bindRows has every write bind its rows (driverRows) rather than feed
	// them, as on a connection without the feed: tests compare the two.
	bindRows bool
	// fed counts the statements whose rows went through the feed, and
	// fedNative those of them that went through the native feed.
	fed, fedNative int
	// native is the memory of the native feed's writes (feednative.go),
	// guarded by writing.
	native nativeArena
	// goFeed has every write use the Go module's feed rather than the
	// native one: tests compare the two.
	goFeed bool
}

// write runs fn in a write transaction and commits it.
//
// Once begun, a transaction is not cut short by ctx: it is short, finishing
// it leaves the read model consistent either way, and a cancellable context
// would cost a watcher goroutine per statement in the driver (modernc
// sqlite), a large share of a rebuild's time. fn gets the uncancellable
// context to pass on.
func (db *DB) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	db.writing.Lock()
	defer db.writing.Unlock()
	begin := db.SQL.BeginTx
	if db.Dialect == SQLite {
		// The transaction runs on a connection taken from the pool for it,
		// so that chunked can reach that connection's driver (sql.Conn.Raw)
		// inside the transaction.
		conn, cerr := db.SQL.Conn(ctx)
		if cerr != nil {
			return fmt.Errorf("begin: %w", cerr)
		}
		db.conn, begin = conn, conn.BeginTx
		defer func() {
			err = errors.Join(err, db.closeDriverStmts(), conn.Close())
			db.conn, db.feedReady, db.noFeed, db.nativeReady, db.noNative = nil, false, false, false, false
		}()
	}
	tx, err := begin(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(ctx, tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// exec runs one writing statement outside a transaction.
func (db *DB) exec(ctx context.Context, query string, args ...any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	db.writing.Lock()
	defer db.writing.Unlock()
	_, err := db.SQL.ExecContext(ctx, db.Dialect.Q(query), args...)
	return err
}

// NewDB wraps an open database of the given dialect, for the projector,
// and creates the bookkeeping tables. Opening the database is the caller's
// (cmd/internal/readmodels wires SQLite files and PostgreSQL databases).
func NewDB(ctx context.Context, db *sql.DB, d Dialect) (*DB, error) {
	out := Existing(db, d)
	if err := out.ensureBookkeeping(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// EnsureBookkeeping creates the bookkeeping tables the projector needs if
// they are missing (what NewDB does on opening), for a database wrapped
// before it could be reached (Existing): a long-running process retries it
// until the database answers instead of refusing to start.
func (db *DB) EnsureBookkeeping(ctx context.Context) error { return db.ensureBookkeeping(ctx) }

// stmt returns query, rewritten for the dialect and prepared once: parsing
// a multi-row INSERT costs about as much as running it.
func (db *DB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if st, ok := db.stmts[query]; ok {
		return st, nil
	}
	st, err := db.SQL.PrepareContext(ctx, db.Dialect.Q(query))
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if db.stmts == nil {
		db.stmts = map[string]*sql.Stmt{}
	}
	db.stmts[query] = st
	return st, nil
}

// Close closes the prepared statements and the database.
func (db *DB) Close() error {
	db.mu.Lock()
	var errs []error
	for _, st := range db.stmts {
		errs = append(errs, st.Close())
	}
	db.stmts = nil
	db.mu.Unlock()
	db.writing.Lock()
	db.native.close()
	db.writing.Unlock()
	return errors.Join(append(errs, db.SQL.Close())...)
}

// closeDriverStmts closes the statements chunked prepared on the
// connection of the write that ends. A connection the driver reported bad
// is closed already, and so are its statements' resources with it: Raw
// refuses (sql.ErrConnDone) and they are only forgotten.
func (db *DB) closeDriverStmts() error {
	if len(db.driverStmts) == 0 {
		return nil
	}
	stmts := db.driverStmts
	db.driverStmts = nil
	err := db.conn.Raw(func(any) error {
		var errs []error
		for _, st := range stmts {
			errs = append(errs, st.Close())
		}
		return errors.Join(errs...)
	})
	if errors.Is(err, sql.ErrConnDone) {
		return nil
	}
	return err
}

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
		updated_at     TIMESTAMPTZ NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS ` + parkedTable + ` (
		projection  TEXT   NOT NULL,
		position    BIGINT NOT NULL,
		event_id    TEXT   NOT NULL,
		stream      TEXT   NOT NULL,
		event_type  TEXT   NOT NULL,
		reason      TEXT   NOT NULL,
		parked_at   TIMESTAMPTZ NOT NULL,
		resolved_at TIMESTAMPTZ,
		resolution  TEXT,
		PRIMARY KEY (projection, position)
	)`,
}

func (db *DB) ensureBookkeeping(ctx context.Context) error {
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if db.Dialect == Postgres {
			// Replicas starting at once on a fresh schema would race to
			// create the same tables (duplicate pg_type rows): one lock per
			// schema lets one create, and the others find them made.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('disputes.readmodels:' || current_schema(), 0))`); err != nil {
				return fmt.Errorf("lock read-model bookkeeping: %w", err)
			}
		}
		for _, ddl := range bookkeepingDDL {
			if _, err := tx.ExecContext(ctx, db.Dialect.Table(ddl)); err != nil {
				return fmt.Errorf("create bookkeeping tables: %w", err)
			}
		}
		if db.Dialect != Postgres {
			return nil
		}
		// Bookkeeping tables made before times were timestamptz keep their
		// rows (the checkpoints): their text times convert in place.
		for _, c := range []struct{ table, column string }{
			{checkpointsTable, "updated_at"}, {parkedTable, "parked_at"}, {parkedTable, "resolved_at"},
		} {
			var typ string
			err := tx.QueryRowContext(ctx, `SELECT data_type FROM information_schema.columns
				WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`, c.table, c.column).Scan(&typ)
			if err != nil {
				return fmt.Errorf("bookkeeping column %s.%s: %w", c.table, c.column, err)
			}
			if typ == "text" {
				if _, err := tx.ExecContext(ctx, `ALTER TABLE `+c.table+` ALTER COLUMN `+c.column+` TYPE timestamptz USING `+c.column+`::timestamptz`); err != nil {
					return fmt.Errorf("convert %s.%s to timestamptz: %w", c.table, c.column, err)
				}
			}
		}
		return nil
	})
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
			p           Parked
			pos         int64
			parked      timeColumn
			resolved    nullTimeColumn
			resolvedHow sql.NullString
		)
		if err := rows.Scan(&p.Projection, &pos, &p.EventID, &p.Stream, &p.EventType, &p.Reason, &parked, &resolved, &resolvedHow); err != nil {
			return nil, fmt.Errorf("read parked events: %w", err)
		}
		p.Position, p.Resolution, p.ParkedAt, p.ResolvedAt = uint64(pos), resolvedHow.String, parked.t, resolved.t
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read parked events: %w", err)
	}
	return out, nil
}

// park records that projection could not apply the event at ev's position.
func (db *DB) park(ctx context.Context, projection string, f Failure, at time.Time) error {
	err := db.exec(ctx, `INSERT INTO `+parkedTable+`
		(projection, position, event_id, stream, event_type, reason, parked_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (projection, position) DO UPDATE SET reason = excluded.reason, parked_at = excluded.parked_at,
			resolved_at = NULL, resolution = NULL`,
		projection, int64(f.Position), f.EventID, f.Stream, f.EventType, f.Reason, formatTime(at))
	if err != nil {
		return fmt.Errorf("park %s position %d: %w", projection, f.Position, err)
	}
	return nil
}
