package coord

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SQLiteLeasesTable is the lease table kept in an SQLite ledger file.
const SQLiteLeasesTable = "coord_leases"

// sqliteNowMillis is the SQLite clock in Unix milliseconds: the clock of
// the one machine whose processes share the file.
const sqliteNowMillis = `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`

// SQLite grants leases among the processes that share one SQLite ledger
// file — `serve` and a standalone `disputes scheduler` on the same ledger —
// through a table in that file: name, holder, token and an expiry in
// milliseconds by the machine's clock (one machine: every process reads the
// same one). Tokens rise with each new holder, as on PostgreSQL.
type SQLite struct {
	db     *sql.DB
	holder string
}

// OpenSQLite creates the lease table in db (an SQLite ledger file opened
// for writing) if needed. holder names this process; empty means
// host:pid:random.
func OpenSQLite(ctx context.Context, db *sql.DB, holder string) (*SQLite, error) {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+SQLiteLeasesTable+` (
		name       TEXT PRIMARY KEY,
		holder     TEXT NOT NULL,
		token      INTEGER NOT NULL CHECK (token > 0),
		expires_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return nil, fmt.Errorf("create %s: %w", SQLiteLeasesTable, err)
	}
	if holder == "" {
		holder = DefaultHolder()
	}
	return &SQLite{db: db, holder: holder}, nil
}

// Holder returns the name this process holds leases under.
func (s *SQLite) Holder() string { return s.holder }

// Lease returns the named lease, granted for ttl at a time.
func (s *SQLite) Lease(name string, ttl time.Duration) *SQLiteLease {
	return &SQLiteLease{s: s, name: name, ttl: ttl}
}

// SQLiteLease is one lease row of an SQLite ledger file.
type SQLiteLease struct {
	s    *SQLite
	name string
	ttl  time.Duration
}

// Name implements supervise.Lease.
func (l *SQLiteLease) Name() string { return l.name }

// TTL implements supervise.Lease.
func (l *SQLiteLease) TTL() time.Duration { return l.ttl }

// Acquire implements supervise.Lease: one statement (one write transaction
// of the file) takes a free or expired lease (token + 1) or renews this
// holder's live grant (same token).
func (l *SQLiteLease) Acquire(ctx context.Context) (token uint64, held bool, owner string, err error) {
	var t int64
	err = l.s.db.QueryRowContext(ctx, `INSERT INTO `+SQLiteLeasesTable+` AS l (name, holder, token, expires_at)
		VALUES (?, ?, 1, `+sqliteNowMillis+` + ?)
		ON CONFLICT (name) DO UPDATE SET
			token = CASE WHEN l.holder = excluded.holder AND l.expires_at > `+sqliteNowMillis+` THEN l.token ELSE l.token + 1 END,
			holder = excluded.holder,
			expires_at = excluded.expires_at
		WHERE l.holder = excluded.holder OR l.expires_at <= `+sqliteNowMillis+`
		RETURNING token`, l.name, l.s.holder, l.ttl.Milliseconds()).Scan(&t)
	if err == nil {
		return uint64(t), true, "", nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, "", fmt.Errorf("acquire lease %s: %w", l.name, err)
	}
	err = l.s.db.QueryRowContext(ctx, `SELECT holder FROM `+SQLiteLeasesTable+` WHERE name = ?`, l.name).Scan(&owner)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, false, "", fmt.Errorf("read lease %s: %w", l.name, err)
	}
	return 0, false, owner, nil
}

// Release implements supervise.Lease: the grant expires now if it is still
// this holder's at token.
func (l *SQLiteLease) Release(ctx context.Context, token uint64) error {
	if _, err := l.s.db.ExecContext(ctx, `UPDATE `+SQLiteLeasesTable+` SET expires_at = `+sqliteNowMillis+`
		WHERE name = ? AND holder = ? AND token = ?`, l.name, l.s.holder, int64(token)); err != nil {
		return fmt.Errorf("release lease %s: %w", l.name, err)
	}
	return nil
}
