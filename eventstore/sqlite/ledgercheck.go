package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/internal/sqlitemigrate"
)

// ErrNotLedger is returned (wrapped) when a file that exists is not a
// ledger: empty, not an SQLite database, or an SQLite database without the
// event store's tables. Nothing is written to it: a ledger is only created
// where there is no file (Open) or by an explicit Init.
var ErrNotLedger = errors.New("not a ledger")

// ErrReadOnly is returned (wrapped) by Append on a store opened with
// OpenReadOnly.
var ErrReadOnly = errors.New("event store opened read-only")

// CheckLedger reports whether db holds a ledger this program can read: the
// event store's tables at a schema version it knows, the events table as the
// migration made it. It returns an error wrapping ErrNotLedger (no ledger
// tables, or not an SQLite file at all), ErrSchemaTooNew, or
// eventstore.ErrCorrupt (an events table rebuilt otherwise). It only reads.
func CheckLedger(ctx context.Context, db *sql.DB) error {
	var tables int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('events', ?)`, migrationsTable).Scan(&tables)
	if isNotADatabase(err) {
		return fmt.Errorf("%w: not an SQLite database", ErrNotLedger)
	}
	if err != nil {
		return fmt.Errorf("check ledger: %w", err)
	}
	if tables < 2 {
		return fmt.Errorf("%w: no events table", ErrNotLedger)
	}
	v, err := sqlitemigrate.Version(ctx, db, migrationsTable)
	if err != nil {
		return fmt.Errorf("check ledger: %w", err)
	}
	if v == 0 {
		return fmt.Errorf("%w: no schema version recorded", ErrNotLedger)
	}
	if v > len(migrations) {
		return fmt.Errorf("schema version %d, this program knows up to %d: %w", v, len(migrations), ErrSchemaTooNew)
	}
	return checkEventsTable(ctx, db)
}

// eventsColumns is the events table as migration 1 creates it: each
// column's declared type, in order. The table is STRICT, so SQLite refuses a
// value of any other type. An events table rebuilt without STRICT (or with a
// column declared ANY) could hold a stream name stored as a BLOB: the global
// log still reads the row and its bytes still equal the signed ones, but
// "stream = ?" never matches it, so a ticket read silently leaves the event
// out while verify passes.
var eventsColumns = []struct{ name, typ string }{
	{"position", "INTEGER"}, {"id", "BLOB"}, {"stream", "TEXT"},
	{"revision", "INTEGER"}, {"type", "TEXT"}, {"data", "BLOB"},
}

// checkEventsTable refuses an events table that is not STRICT, whose
// columns are not eventsColumns, or whose position is not its rowid, with
// eventstore.ErrCorrupt.
//
// Position must be the rowid (INTEGER PRIMARY KEY of a rowid table, which
// SQLite makes an alias of the rowid, never NULL): in a table rebuilt with
// position as a plain column, a row at position NULL is reached neither by
// a read of the global log ("position > ?") nor by the rows outside it
// ("position <= 0"), so verify would never see an event a ticket's rows
// hold.
func checkEventsTable(ctx context.Context, db *sql.DB) error {
	var strict, withoutRowid bool
	err := db.QueryRowContext(ctx, `SELECT strict, wr FROM pragma_table_list WHERE schema = 'main' AND name = 'events'`).Scan(&strict, &withoutRowid)
	if err != nil {
		return fmt.Errorf("check ledger: events table: %w", err)
	}
	if !strict {
		return fmt.Errorf("check ledger: the events table is not STRICT, as the ledger creates it: %w", eventstore.ErrCorrupt)
	}
	if err := checkPositionIsRowid(ctx, db, withoutRowid); err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, `SELECT name, upper(type) FROM pragma_table_info('events') ORDER BY cid`)
	if err != nil {
		return fmt.Errorf("check ledger: events table: %w", err)
	}
	var got []string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return errors.Join(fmt.Errorf("check ledger: events table: %w", err), rows.Close())
		}
		got = append(got, name+" "+typ)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("check ledger: events table: %w", err)
	}
	want := make([]string, len(eventsColumns))
	for i, c := range eventsColumns {
		want[i] = c.name + " " + c.typ
	}
	if !slices.Equal(got, want) {
		return fmt.Errorf("check ledger: the events table has columns %q, not %q as the ledger creates them: %w", got, want, eventstore.ErrCorrupt)
	}
	return nil
}

// checkPositionIsRowid refuses an events table whose position column is
// not an alias of its rowid: a table WITHOUT ROWID, a key of other columns
// than position alone, or a key SQLite keeps in an index of its own (one
// declared PRIMARY KEY DESC is not an alias) — each with
// eventstore.ErrCorrupt.
func checkPositionIsRowid(ctx context.Context, db *sql.DB, withoutRowid bool) error {
	var keys, positionKey, keyIndexes int
	err := db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM pragma_table_info('events') WHERE pk > 0),
		(SELECT count(*) FROM pragma_table_info('events') WHERE pk = 1 AND name = 'position'),
		(SELECT count(*) FROM pragma_index_list('events') WHERE origin = 'pk')`).Scan(&keys, &positionKey, &keyIndexes)
	if err != nil {
		return fmt.Errorf("check ledger: events table: %w", err)
	}
	if withoutRowid || keys != 1 || positionKey != 1 || keyIndexes != 0 {
		return fmt.Errorf("check ledger: the events table's position is not its rowid (INTEGER PRIMARY KEY), as the ledger creates it: %w", eventstore.ErrCorrupt)
	}
	return nil
}

// CheckLedgerFile checks that the file at path exists and holds a ledger
// this program can read (see CheckLedger), through a read-only connection
// that changes no byte of it. Adapters that keep tables in the ledger's file
// call it before creating them, so they never turn another file into a
// half ledger.
func CheckLedgerFile(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	// Nothing migrates here, so a newer schema is refused now.
	return checkLedgerFile(ctx, path, false)
}

// checkFile checks, through a read-only connection that cannot change a
// byte of it, that the existing file at path is a ledger, or with
// allowEmpty an empty database. A ledger of a newer schema passes: the
// migration refuses it with ErrSchemaTooNew.
func checkFile(ctx context.Context, path string, allowEmpty bool) error {
	if err := checkLedgerFile(ctx, path, allowEmpty); err != nil && !errors.Is(err, ErrSchemaTooNew) {
		return err
	}
	return nil
}

// checkLedgerFile runs CheckLedger on the file at path through a read-only
// connection, passing an empty database when allowEmpty.
func checkLedgerFile(ctx context.Context, path string, allowEmpty bool) (err error) {
	db, err := OpenReadOnlyDB(ctx, path)
	if err != nil {
		if isNotADatabase(err) {
			return fmt.Errorf("%w: not an SQLite database", ErrNotLedger)
		}
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	if allowEmpty {
		empty, err := isEmptyDatabase(ctx, db)
		if err != nil || empty {
			return err
		}
	}
	return CheckLedger(ctx, db)
}

// isEmptyDatabase reports whether db has no schema at all: a file SQLite
// created a moment ago, or a zero-byte file.
func isEmptyDatabase(ctx context.Context, db *sql.DB) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&n)
	if isNotADatabase(err) {
		return false, fmt.Errorf("%w: not an SQLite database", ErrNotLedger)
	}
	if err != nil {
		return false, fmt.Errorf("check ledger: %w", err)
	}
	return n == 0, nil
}

func isNotADatabase(err error) bool {
	var e *msqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_NOTADB
}

// ReadOnlyDSN returns the data source name for a connection that can only
// read the file at path: SQLite's mode=ro (a missing file is an error, not
// created; every write fails), query_only as a second guard, and the busy
// timeout and memory map of DSN. No journal mode is set: that would write.
func ReadOnlyDSN(path string) string { return readOnlyDSN(path, mmapSize) }

// readOnlyDSN is ReadOnlyDSN mapping up to mmap bytes of the file (0: none).
func readOnlyDSN(path string, mmap int64) string {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", DefaultBusyTimeout.Milliseconds()))
	q.Add("_pragma", "query_only(1)")
	if mmap > 0 {
		q.Add("_pragma", fmt.Sprintf("mmap_size(%d)", mmap))
	}
	return "file:" + uriPath(path) + "?" + q.Encode()
}

// immutableDSN is ReadOnlyDSN for a file on read-only media in WAL mode,
// where SQLite cannot create the shared-memory file a reader needs: it
// reads the file as it is, without locks. Only valid when nothing can
// write the file, which read-only media guarantees.
func immutableDSN(path string, mmap int64) string {
	return strings.Replace(readOnlyDSN(path, mmap), "mode=ro", "immutable=1&mode=ro", 1)
}

// uriPath escapes path for a "file:" URI: '%' and '#' would otherwise be
// taken for an escape and a fragment. ('?' is refused by checkPath.)
func uriPath(path string) string {
	return strings.NewReplacer("%", "%25", "#", "%23").Replace(path)
}
