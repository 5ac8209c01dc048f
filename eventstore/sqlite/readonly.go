package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"

	sqlite3 "modernc.org/sqlite/lib"

	msqlite "modernc.org/sqlite"
)

// OpenReadOnly opens the existing ledger at path for reading only: no
// migration, no table, no journal-mode change, no file created — the
// file's bytes stay as they are. It works on read-only media. A missing
// file is an error wrapping os.ErrNotExist, a file that is not a ledger
// one wrapping ErrNotLedger, a newer schema one wrapping ErrSchemaTooNew.
// Append fails with ErrReadOnly; reads and subscriptions work as on a
// store from Open. When no writer had the file open (no WAL beside it) the
// file is read as immutable (see OpenReadOnlyDB): such a store is for
// one-shot reads, and does not see appends made after it opened.
func OpenReadOnly(ctx context.Context, path string, cfg Config) (_ *Store, err error) {
	if err := checkPath(path); err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("open event store %s: %w", path, err)
	}
	cfg.setDefaults()
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	s := newStore(cfg)
	s.readOnly = true
	defer func() {
		if err != nil {
			err = errors.Join(fmt.Errorf("open event store %s: %w", path, err), s.closeDBs())
		}
	}()
	if s.rdb, err = openReadOnlyDB(ctx, path, cfg.mapSize()); err != nil {
		return nil, err
	}
	s.rdb.SetMaxOpenConns(cfg.ReadConns)
	s.rdb.SetMaxIdleConns(cfg.ReadConns)
	if err := CheckLedger(ctx, s.rdb); err != nil {
		return nil, err
	}
	if err := s.r.prepare(ctx, s.rdb); err != nil {
		return nil, err
	}
	go s.queue.RunBatches(s.commit) // never given work: Append refuses first
	return s, nil
}

// OpenReadOnlyDB opens a connection pool that can only read the existing
// SQLite file at path (see ReadOnlyDSN), for anything that reads a ledger
// file beside the event store. On read-only media a WAL-mode file cannot
// get the shared-memory file readers need; the pool then reads it as
// immutable, which is safe there because nothing can write it.
func OpenReadOnlyDB(ctx context.Context, path string) (*sql.DB, error) {
	return openReadOnlyDB(ctx, path, mmapSize)
}

// openReadOnlyDB is OpenReadOnlyDB mapping up to mmap bytes of the file
// (0: none; see Config.Unmapped).
func openReadOnlyDB(ctx context.Context, path string, mmap int64) (*sql.DB, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path + "-wal"); errors.Is(err, os.ErrNotExist) {
		// No writer has the file open (a writer keeps a WAL beside it). A
		// reader in WAL mode would create the -wal and -shm files even so;
		// reading the file as immutable creates nothing and writes nothing.
		// A writer that starts and checkpoints during a long read can make
		// that read fail; run it again.
		return sql.Open("sqlite", immutableDSN(path, mmap))
	}
	db, err := sql.Open("sqlite", readOnlyDSN(path, mmap))
	if err != nil {
		return nil, err
	}
	err = db.PingContext(ctx)
	if err == nil {
		// The first read is where a WAL file without its -shm fails.
		_, err = db.ExecContext(ctx, `SELECT count(*) FROM sqlite_master`)
	}
	if err == nil {
		return db, nil
	}
	if !cannotShareMemory(err) {
		return nil, errors.Join(err, db.Close())
	}
	if cerr := db.Close(); cerr != nil {
		return nil, cerr
	}
	return sql.Open("sqlite", immutableDSN(path, mmap))
}

// cannotShareMemory reports the errors of a read-only WAL reader that
// cannot create or map the -shm file.
func cannotShareMemory(err error) bool {
	var e *msqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() {
	case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY_CANTINIT, sqlite3.SQLITE_READONLY_RECOVERY,
		sqlite3.SQLITE_READONLY_DIRECTORY, sqlite3.SQLITE_READONLY:
		return true
	}
	return false
}
