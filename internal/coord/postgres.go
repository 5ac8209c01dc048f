package coord

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/disputes-ledger/disputes/internal/pgmigrate"
)

// ErrSchemaTooNew is returned by OpenPostgres when the coordination tables
// were migrated by a newer version of this package.
var ErrSchemaTooNew = errors.New("coordination schema is newer than this program")

// ErrFenced is returned (wrapped) by a fenced write whose token is no
// longer the lease's: another replica took the job over.
var ErrFenced = errors.New("fenced: another replica holds the lease now")

const (
	leasesTable     = "coord_leases"
	clockTable      = "coord_clock"
	replicasTable   = "coord_replicas"
	positionsTable  = "coord_positions"
	migrationsTable = "coord_migrations"
)

var migrations = []pgmigrate.Migration{
	{
		Version: 1,
		Name:    "create coord_leases, coord_clock, coord_replicas and coord_positions",
		Statements: []string{
			// expires_at comes from the database's clock only.
			`CREATE TABLE {leases} (
				name       text PRIMARY KEY,
				holder     text NOT NULL,
				token      bigint NOT NULL CHECK (token > 0),
				expires_at timestamptz NOT NULL
			)`,
			// One row: the demo clock's origin, written once by the first
			// replica that runs a scaled clock on this ledger.
			`CREATE TABLE {clock} (
				id           boolean PRIMARY KEY DEFAULT true CHECK (id),
				ledger_start text NOT NULL,
				wall_start   text NOT NULL,
				speed        double precision NOT NULL CHECK (speed > 0)
			)`,
			// Each replica's last successful write: /readyz's proof that the
			// store takes writes, and a list of the replicas alive.
			`CREATE TABLE {replicas} (
				holder  text PRIMARY KEY,
				seen_at timestamptz NOT NULL
			)`,
			// A leased job's progress that must survive a failover (the
			// forwarder's last published position), written fenced.
			`CREATE TABLE {positions} (
				name     text PRIMARY KEY,
				position bigint NOT NULL CHECK (position >= 0)
			)`,
		},
	},
}

// Postgres keeps the leases and the clock origin of the ledger in one
// PostgreSQL schema (the event store's).
type Postgres struct {
	pool      *pgxpool.Pool
	schema    string
	leases    string // quoted, schema-qualified
	clock     string
	replicas  string
	positions string
	holder    string
}

// OpenPostgres connects to connString (the event store's URL) and creates or
// migrates the coordination tables in schema (empty: the connection's
// current schema). holder names this process in the lease table; empty
// means host:pid:random.
func OpenPostgres(ctx context.Context, connString, schema, holder string) (_ *Postgres, err error) {
	pool, schema, err := pgmigrate.Connect(ctx, connString, schema, false)
	if err != nil {
		return nil, fmt.Errorf("open coordination tables: %w", err)
	}
	defer func() {
		if err != nil {
			pool.Close()
		}
	}()
	p := &Postgres{pool: pool, schema: schema,
		leases:    pgx.Identifier{schema, leasesTable}.Sanitize(),
		clock:     pgx.Identifier{schema, clockTable}.Sanitize(),
		replicas:  pgx.Identifier{schema, replicasTable}.Sanitize(),
		positions: pgx.Identifier{schema, positionsTable}.Sanitize(),
		holder:    holder}
	if p.holder == "" {
		p.holder = DefaultHolder()
	}
	expand := strings.NewReplacer("{leases}", p.leases, "{clock}", p.clock, "{replicas}", p.replicas, "{positions}", p.positions).Replace
	if err := pgmigrate.Apply(ctx, pool, pgmigrate.Target{Schema: schema, Table: migrationsTable, Expand: expand, TooNew: ErrSchemaTooNew}, migrations); err != nil {
		return nil, fmt.Errorf("open coordination tables in schema %s: %w", schema, err)
	}
	return p, nil
}

// DefaultHolder names this process: host, pid and a random suffix, so a
// restarted process with the same pid is another holder.
func DefaultHolder() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Close closes the pool.
func (p *Postgres) Close() { p.pool.Close() }

// Holder returns the name this process holds leases under.
func (p *Postgres) Holder() string { return p.holder }

// Schema returns the schema of the coordination tables.
func (p *Postgres) Schema() string { return p.schema }

// ProbeWrite writes this replica's heartbeat row: it fails while the
// database takes no writes (down, read-only, out of disk, locked).
func (p *Postgres) ProbeWrite(ctx context.Context) error {
	if _, err := p.pool.Exec(ctx, `INSERT INTO `+p.replicas+` (holder, seen_at) VALUES ($1, clock_timestamp())
		ON CONFLICT (holder) DO UPDATE SET seen_at = excluded.seen_at`, p.holder); err != nil {
		return fmt.Errorf("write heartbeat: %w", err)
	}
	return nil
}

// Lease returns the named lease, granted for ttl at a time.
func (p *Postgres) Lease(name string, ttl time.Duration) *PGLease {
	return &PGLease{p: p, name: name, ttl: ttl}
}

// PGLease is one lease row.
type PGLease struct {
	p    *Postgres
	name string
	ttl  time.Duration
}

// Name implements supervise.Lease.
func (l *PGLease) Name() string { return l.name }

// TTL implements supervise.Lease.
func (l *PGLease) TTL() time.Duration { return l.ttl }

// Acquire implements supervise.Lease: one statement takes a free or expired
// lease (token + 1) or renews this holder's live grant (same token).
func (l *PGLease) Acquire(ctx context.Context) (token uint64, held bool, owner string, err error) {
	var t int64
	err = l.p.pool.QueryRow(ctx, `INSERT INTO `+l.p.leases+` AS l (name, holder, token, expires_at)
		VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 millisecond')
		ON CONFLICT (name) DO UPDATE SET
			token = CASE WHEN l.holder = excluded.holder AND l.expires_at > clock_timestamp() THEN l.token ELSE l.token + 1 END,
			holder = excluded.holder,
			expires_at = excluded.expires_at
		WHERE l.holder = excluded.holder OR l.expires_at <= clock_timestamp()
		RETURNING token`, l.name, l.p.holder, l.ttl.Milliseconds()).Scan(&t)
	if err == nil {
		return uint64(t), true, "", nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, false, "", fmt.Errorf("acquire lease %s: %w", l.name, err)
	}
	err = l.p.pool.QueryRow(ctx, `SELECT holder FROM `+l.p.leases+` WHERE name = $1`, l.name).Scan(&owner)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, false, "", fmt.Errorf("read lease %s: %w", l.name, err)
	}
	return 0, false, owner, nil
}

// Release implements supervise.Lease: the grant expires now if it is still
// this holder's at token.
func (l *PGLease) Release(ctx context.Context, token uint64) error {
	_, err := l.p.pool.Exec(ctx, `UPDATE `+l.p.leases+` SET expires_at = clock_timestamp()
		WHERE name = $1 AND holder = $2 AND token = $3`, l.name, l.p.holder, int64(token))
	if err != nil {
		return fmt.Errorf("release lease %s: %w", l.name, err)
	}
	return nil
}

// CheckTx fences a write made in tx (a transaction on the same database):
// it locks the lease row for share — a takeover waits for tx to end — and
// fails with ErrFenced unless this holder's grant at token is live.
func (l *PGLease) CheckTx(ctx context.Context, tx pgx.Tx, token uint64) error {
	var (
		holder string
		t      int64
		live   bool
	)
	err := tx.QueryRow(ctx, `SELECT holder, token, expires_at > clock_timestamp() FROM `+l.p.leases+` WHERE name = $1 FOR SHARE`, l.name).Scan(&holder, &t, &live)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("lease %s was never granted: %w", l.name, ErrFenced)
	case err != nil:
		return fmt.Errorf("check lease %s: %w", l.name, err)
	case holder != l.p.holder || uint64(t) != token:
		return fmt.Errorf("lease %s is at token %d (holder %s), this write carries %d: %w", l.name, t, holder, token, ErrFenced)
	case !live:
		return fmt.Errorf("lease %s at token %d expired: %w", l.name, token, ErrFenced)
	}
	return nil
}
