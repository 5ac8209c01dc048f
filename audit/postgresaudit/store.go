package postgresaudit

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/internal/pgmigrate"
)

// ErrNoLedger is returned (wrapped) by a read-only Open on a schema that
// holds no event store: there is nothing to audit, and nothing is created.
var ErrNoLedger = errors.New("no ledger in this schema")

// ErrReadOnly is returned (wrapped) by AddSeal on a store opened read-only.
var ErrReadOnly = errors.New("seal store opened read-only")

// Config chooses where the seal store lives and how it is opened.
type Config struct {
	// Schema holds the seal tables: the event store's schema. Empty means
	// the connection's current schema, as the event store resolves it.
	Schema string
	// ReadOnly opens without creating or migrating anything, in sessions
	// that refuse writes: for verify, export and prove. A schema without
	// seal tables then reads as a store with no seals.
	ReadOnly bool
}

// Store is a PostgreSQL audit.SealStore and audit.Log. It is safe for
// concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	schema string
	t      tables
	cfg    Config
	// haveSeals is false for a read-only store over a schema without seal
	// tables: no seal was ever stored there.
	haveSeals bool
	// fence, if set, runs first in every AddSeal's transaction (Fenced).
	fence func(ctx context.Context, tx pgx.Tx) error
}

var (
	_ audit.SealStore = (*Store)(nil)
	_ audit.Log       = (*Store)(nil)
)

// Open connects to connString (a PostgreSQL URL or DSN as pgx reads it) and,
// unless cfg.ReadOnly, creates or migrates the seal tables.
func Open(ctx context.Context, connString string, cfg Config) (_ *Store, err error) {
	pool, schema, err := pgmigrate.Connect(ctx, connString, cfg.Schema, cfg.ReadOnly)
	if err != nil {
		return nil, fmt.Errorf("open seal store: %w", err)
	}
	defer func() {
		if err != nil {
			pool.Close()
		}
	}()
	s := &Store{pool: pool, schema: schema, t: newTables(schema), cfg: cfg, haveSeals: true}
	if !cfg.ReadOnly {
		if err := pgmigrate.Apply(ctx, pool, pgmigrate.Target{
			Schema: schema, Table: migrationsTable, Expand: s.t.expand, TooNew: ErrSchemaTooNew,
		}, migrations); err != nil {
			return nil, fmt.Errorf("open seal store in schema %s: %w", schema, err)
		}
		return s, nil
	}
	var haveEvents bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, s.t.events).Scan(&haveEvents); err != nil {
		return nil, fmt.Errorf("open seal store in schema %s: %w", schema, err)
	}
	if !haveEvents {
		return nil, fmt.Errorf("open seal store in schema %s: %w", schema, ErrNoLedger)
	}
	v, exists, err := pgmigrate.Version(ctx, pool, schema, migrationsTable)
	if err != nil {
		return nil, fmt.Errorf("open seal store in schema %s: %w", schema, err)
	}
	if v > len(migrations) {
		return nil, fmt.Errorf("open seal store in schema %s: %s at version %d, this program knows up to %d: %w",
			schema, migrationsTable, v, len(migrations), ErrSchemaTooNew)
	}
	s.haveSeals = exists && v > 0
	return s, nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close() // pgxpool reports no close errors
	return nil
}

// Schema returns the (unquoted) schema holding the seal tables.
func (s *Store) Schema() string { return s.schema }

// Fenced returns a view of the store whose AddSeal first runs fence in the
// seal's own transaction and stores nothing when it fails: with a lease's
// check (internal/coord's CheckTx) only the sealer holding the lease adds
// seals, and a stale one is refused even mid-takeover. The view shares the
// pool; close the original.
func (s *Store) Fenced(fence func(ctx context.Context, tx pgx.Tx) error) *Store {
	f := *s
	f.fence = fence
	return &f
}

// AddSeal implements audit.SealStore.
func (s *Store) AddSeal(ctx context.Context, sl seal.Seal, pub ed25519.PublicKey) (err error) {
	if err := audit.CheckSealToStore(sl, pub); err != nil {
		return err
	}
	if s.cfg.ReadOnly {
		return fmt.Errorf("add seal of size %d: %w", sl.Size, ErrReadOnly)
	}
	if s.fence == nil {
		return s.addSeal(ctx, s.pool, sl, pub)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("add seal of size %d: %w", sl.Size, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := s.fence(ctx, tx); err != nil {
		return fmt.Errorf("add seal of size %d: %w", sl.Size, err)
	}
	if err := s.addSeal(ctx, tx, sl, pub); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("add seal of size %d: commit: %w", sl.Size, err)
	}
	return nil
}

// querier is what AddSeal needs of a pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *Store) addSeal(ctx context.Context, q querier, sl seal.Seal, pub ed25519.PublicKey) error {
	// ON CONFLICT DO NOTHING waits for a concurrent insert of the same
	// size to commit, so the row read below is the one that won.
	tag, err := q.Exec(ctx, s.t.expand(`INSERT INTO {seals} (size, root, sealed_at, key_id, signature, public_key)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (size) DO NOTHING`),
		int64(sl.Size), sl.Root[:], sl.SealedAt.UTC().Format(time.RFC3339Nano), sl.KeyID, sl.Signature, []byte(pub))
	if err != nil {
		return fmt.Errorf("add seal of size %d: %w", sl.Size, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	stored, found, err := scanOne(q.QueryRow(ctx, s.t.expand(selectSeal+` WHERE size = $1`), int64(sl.Size)))
	if err != nil {
		return fmt.Errorf("add seal of size %d: %w", sl.Size, err)
	}
	if !found {
		return fmt.Errorf("add seal of size %d: neither inserted nor found", sl.Size)
	}
	if audit.SameSeal(stored, sl, pub) {
		return nil
	}
	return audit.NewSealConflict(stored, sl, pub)
}

// Seals implements audit.SealStore.
func (s *Store) Seals(ctx context.Context) ([]audit.StoredSeal, error) {
	if !s.haveSeals {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, s.t.expand(selectSeal+` ORDER BY size`))
	if err != nil {
		return nil, fmt.Errorf("list seals: %w", err)
	}
	defer rows.Close()
	out, err := audit.ReadRows(rows, audit.ReadSeal)
	if err != nil {
		return nil, fmt.Errorf("list seals: %w", err)
	}
	return out, nil
}

// LatestSeal implements audit.SealStore.
func (s *Store) LatestSeal(ctx context.Context) (audit.StoredSeal, bool, error) {
	if !s.haveSeals {
		return audit.StoredSeal{}, false, nil
	}
	st, found, err := scanOne(s.pool.QueryRow(ctx, s.t.expand(selectSeal+` ORDER BY size DESC LIMIT 1`)))
	if err != nil {
		return audit.StoredSeal{}, false, fmt.Errorf("latest seal: %w", err)
	}
	return st, found, nil
}

const selectSeal = `SELECT size, root, sealed_at, key_id, signature, public_key FROM {seals}`

// scanOne reads one seal row; found is false for no row.
func scanOne(row pgx.Row) (audit.StoredSeal, bool, error) {
	st, err := audit.ReadSeal(row.Scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return audit.StoredSeal{}, false, nil
	}
	return st, err == nil, err
}
