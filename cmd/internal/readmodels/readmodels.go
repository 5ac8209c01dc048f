// Package readmodels opens the databases that hold the read models: the
// wiring of package projections to a concrete SQLite file or PostgreSQL
// database, which projections itself leaves to its caller (it takes a
// *sql.DB and a dialect, projections.NewDB). Only cmd/ picks backends.
package readmodels

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/disputes-ledger/disputes/cmd/internal/storeurl"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/projections"
)

// Where names the database the read models live in.
type Where struct {
	// Dialect is projections.SQLite or projections.Postgres.
	Dialect projections.Dialect
	// Path is the SQLite file.
	Path string
	// URL is the PostgreSQL connection URL, as given (it may hold a
	// password: print String instead).
	URL string
	// InLedger says the SQLite file is the ledger's own, which must then
	// be a ledger before read models are read from it.
	InLedger bool
}

// String names the database for people and logs: the file as
// "sqlite:PATH", or the URL with its password redacted.
func (w Where) String() string {
	if w.Dialect == projections.Postgres {
		return storeurl.Redacted(w.URL)
	}
	return "sqlite:" + w.Path
}

// Locate picks where a ledger's read models live. The read-models URL
// (--projections: sqlite:PATH, a path, or postgres://…) wins when set.
// Otherwise they live in the ledger's own database when it can hold SQL
// tables — the SQLite ledger file, or the PostgreSQL database (and
// schema) of a postgres:// store — and in the SQLite file fallback beside
// a store that cannot (KurrentDB).
func Locate(storeURL, readModelsURL, fallback string) (Where, error) {
	if readModelsURL != "" {
		t, err := storeurl.Parse(readModelsURL)
		if err != nil {
			return Where{}, fmt.Errorf("read models: %w", err)
		}
		switch t.Backend {
		case storeurl.Postgres:
			return Where{Dialect: projections.Postgres, URL: t.URL}, nil
		case storeurl.SQLite:
			return Where{Dialect: projections.SQLite, Path: t.Path}, nil
		}
		return Where{}, fmt.Errorf("%w: read models live in an SQLite file or postgres://…, not %s", ErrUnsupported, t.Backend)
	}
	t, err := storeurl.Parse(storeURL)
	if err != nil {
		return Where{}, err
	}
	switch t.Backend {
	case storeurl.SQLite:
		return Where{Dialect: projections.SQLite, Path: t.Path, InLedger: true}, nil
	case storeurl.Postgres:
		return Where{Dialect: projections.Postgres, URL: t.URL}, nil
	}
	return Where{Dialect: projections.SQLite, Path: fallback}, nil
}

// ErrUnsupported is returned (wrapped) by Locate for a read-models URL of a
// backend that cannot hold them.
var ErrUnsupported = errors.New("unsupported read-model database")

// Open opens (creating if needed) the read models w names, for the
// projector to write.
//
// A SQLite file is opened with sqlite.RebuildableDSN: read models are
// rebuildable, so a commit is atomic but not fsynced (a power cut drops the
// last commits whole, checkpoint and rows together, and the projections
// apply them again). The SQLite pool holds two connections: one writes (write transactions
// queue for it in Go), the other reads and prepares statements meanwhile.
func Open(ctx context.Context, w Where) (*projections.DB, error) {
	out, err := OpenLater(w)
	if err != nil {
		return nil, err
	}
	if err := out.EnsureBookkeeping(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("open read models %s: %w", w, err), out.SQL.Close())
	}
	return out, nil
}

// OpenLater is Open without touching the database: the pool connects when
// first used, and the caller creates the bookkeeping tables
// (projections.DB.EnsureBookkeeping) before the projector runs — `serve`
// does it in the supervised projector, so that read models out of reach at
// start-up delay the lists, not the API.
func OpenLater(w Where) (*projections.DB, error) {
	var (
		db  *sql.DB
		err error
	)
	switch w.Dialect {
	case projections.Postgres:
		db, err = sql.Open("pgx", w.URL)
	default:
		db, err = sql.Open("sqlite", sqlite.RebuildableDSN(w.Path))
		if err == nil {
			db.SetMaxOpenConns(2)
			db.SetMaxIdleConns(2)
			db.SetConnMaxLifetime(0)
			db.SetConnMaxIdleTime(0)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open read models %s: %w", w, err)
	}
	return projections.Existing(db, w.Dialect), nil
}

// OpenQueries opens a pool for queries beside the projector's database
// writer (from Open): on SQLite, conns read-only connections, which read
// beside the projector's single writing one through WAL instead of queuing
// behind it; a PostgreSQL pool serves both, so writer is returned as it is.
func OpenQueries(w Where, writer *projections.DB, conns int) (*projections.DB, error) {
	if w.Dialect == projections.Postgres {
		return writer, nil
	}
	db, err := sql.Open("sqlite", sqlite.DSN(w.Path)+"&_pragma=query_only(1)")
	if err != nil {
		return nil, fmt.Errorf("open read models %s: %w", w, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	return projections.Existing(db, projections.SQLite), nil
}

// OpenReadOnly opens the read models w names for queries only: nothing is
// created or written — a SQLite file keeps every byte and read-only media
// work (sqlite.OpenReadOnlyDB), PostgreSQL sessions refuse writes. Read
// models in a SQLite ledger's own file need that file to be a ledger; a
// database without read models is projections.ErrNoReadModels.
func OpenReadOnly(ctx context.Context, w Where) (*projections.DB, error) {
	var (
		db  *sql.DB
		err error
	)
	switch {
	case w.Dialect == projections.Postgres:
		u, perr := url.Parse(w.URL)
		if perr != nil {
			return nil, fmt.Errorf("open read models %s: %w", w, perr)
		}
		q := u.Query()
		q.Set("default_transaction_read_only", "on")
		u.RawQuery = q.Encode()
		db, err = sql.Open("pgx", u.String())
	case w.InLedger:
		if err := sqlite.CheckLedgerFile(ctx, w.Path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("ledger %s: %w (%s)", w.Path, err, createHint)
			}
			return nil, fmt.Errorf("ledger %s: %w", w.Path, err)
		}
		db, err = sqlite.OpenReadOnlyDB(ctx, w.Path)
	default:
		if _, err := os.Stat(w.Path); err != nil {
			return nil, fmt.Errorf("read models %s: %w (run 'disputes project')", w.Path, err)
		}
		db, err = sqlite.OpenReadOnlyDB(ctx, w.Path)
	}
	if err != nil {
		return nil, fmt.Errorf("open read models %s: %w", w, err)
	}
	out := projections.Existing(db, w.Dialect)
	if err := out.CheckReadModels(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("open read models %s: %w", w, err), db.Close())
	}
	return out, nil
}

// createHint tells a user without a ledger how to make one.
const createHint = "create one with 'disputes init', 'disputes demo' or 'disputes exec'"
