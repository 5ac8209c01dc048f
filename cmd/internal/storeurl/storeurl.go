// Package storeurl opens the event store a URL names, so every command takes
// one --store flag whatever the backend:
//
//	sqlite:PATH               SQLite file (sqlite:///abs/path also works)
//	PATH                      a bare path: SQLite
//	postgres://… postgresql://…   PostgreSQL, as pgx reads the URL; add
//	                          search_path=SCHEMA to choose the schema
//	kurrentdb://… esdb://…    KurrentDB / EventStoreDB (also kurrent://, +discover forms)
package storeurl

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/kurrentdb"
	"github.com/disputes-ledger/disputes/eventstore/postgres"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// Backend names an event-store implementation.
type Backend string

// The backends a URL may name.
const (
	SQLite    Backend = "sqlite"
	Postgres  Backend = "postgres"
	KurrentDB Backend = "kurrentdb"
)

// ErrUnknownScheme is returned by Parse and Open for a URL whose scheme names
// no backend.
var ErrUnknownScheme = errors.New("unknown event-store URL scheme")

// Target is a parsed store URL.
type Target struct {
	Backend Backend
	// Path is the SQLite file; empty for the other backends.
	Path string
	// URL is the connection URL for server backends, as given.
	URL string
}

// Parse reads a store URL without opening anything. Use it to check a
// SQLite path exists before opening, for instance.
func Parse(raw string) (Target, error) {
	if raw == "" {
		return Target{}, errors.New("empty store URL")
	}
	scheme, rest, ok := splitScheme(raw)
	if !ok {
		return Target{Backend: SQLite, Path: raw}, nil
	}
	switch scheme {
	case "sqlite", "sqlite3":
		path := rest
		if strings.HasPrefix(path, "//") { // sqlite:///abs/path, sqlite://rel/path
			path = path[2:]
		}
		if path == "" {
			return Target{}, fmt.Errorf("store URL %q: empty SQLite path", raw)
		}
		return Target{Backend: SQLite, Path: path}, nil
	case "postgres", "postgresql":
		if _, err := url.Parse(raw); err != nil {
			return Target{}, fmt.Errorf("store URL %s: %w", Redacted(raw), err)
		}
		return Target{Backend: Postgres, URL: raw}, nil
	case "kurrentdb", "kurrentdb+discover", "kurrent", "esdb", "esdb+discover":
		return Target{Backend: KurrentDB, URL: raw}, nil
	default:
		return Target{}, fmt.Errorf("store URL %s: scheme %q: %w (want sqlite:PATH, a path, postgres://… or kurrentdb://…)", Redacted(raw), scheme, ErrUnknownScheme)
	}
}

// Open opens the event store raw names, creating an empty one if there is
// none (a SQLite file, or the store's tables in a PostgreSQL schema). The
// caller closes it.
func Open(ctx context.Context, raw string) (eventstore.Store, error) {
	return OpenWith(ctx, raw, Options{})
}

// Options tune how Open opens a store.
type Options struct {
	// Scan is for a process that reads the log once from start to end
	// (rebuild, project): a SQLite file is read without a memory map,
	// whose pages would stay resident as the scan goes
	// (sqlite.Config.Unmapped). The other backends ignore it.
	Scan bool
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, raw string, opts Options) (eventstore.Store, error) {
	t, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	switch t.Backend {
	case SQLite:
		s, err := sqlite.Open(ctx, t.Path, sqlite.Config{Unmapped: opts.Scan})
		if err != nil {
			return nil, err
		}
		return s, nil
	case Postgres:
		s, err := postgres.Open(ctx, t.URL, postgres.Config{})
		if err != nil {
			return nil, err // postgres.Open never echoes the URL, which may hold a password
		}
		return s, nil
	case KurrentDB:
		s, err := kurrentdb.Open(ctx, t.URL, kurrentdb.Config{})
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", Redacted(raw), err)
		}
		return s, nil
	default:
		return nil, fmt.Errorf("store URL %s: backend %q: %w", Redacted(raw), t.Backend, ErrUnknownScheme)
	}
}

// OpenReadOnly opens the existing event store raw names for reading only:
// nothing is created, migrated or written (a SQLite file keeps every byte;
// see sqlite.OpenReadOnly), and Append fails. A missing SQLite file, a file
// or schema that holds no ledger, or a newer schema is an error. KurrentDB
// has nothing to create or migrate: it is opened as for Open.
func OpenReadOnly(ctx context.Context, raw string) (eventstore.Store, error) {
	t, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	switch t.Backend {
	case SQLite:
		s, err := sqlite.OpenReadOnly(ctx, t.Path, sqlite.Config{})
		if err != nil {
			return nil, err
		}
		return s, nil
	case Postgres:
		s, err := postgres.Open(ctx, t.URL, postgres.Config{ReadOnly: true})
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return Open(ctx, raw)
}

// Redacted returns raw with any password in it replaced by "xxxxx", for
// messages and logs: the URL's user information and a password query
// parameter (postgres://host/db?password=…) alike.
func Redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	changed := false
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery, changed = q.Encode(), true
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return u.Redacted()
		}
	}
	if changed {
		return u.String()
	}
	return raw
}

// splitScheme splits "scheme:rest" when the part before the first colon is a
// URL scheme (RFC 3986: a letter, then letters, digits, '+', '-', '.').
// A one-letter "scheme" is taken for a Windows drive, that is a path.
func splitScheme(raw string) (scheme, rest string, ok bool) {
	i := strings.IndexByte(raw, ':')
	if i < 2 {
		return "", "", false
	}
	for j, c := range raw[:i] {
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (j == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "", "", false
		}
	}
	return strings.ToLower(raw[:i]), raw[i+1:], true
}
