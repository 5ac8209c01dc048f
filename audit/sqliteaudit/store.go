package sqliteaudit

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/sqlitemigrate"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrReadOnly is returned (wrapped) by AddSeal on a store opened with
// OpenReadOnly.
var ErrReadOnly = errors.New("seal store opened read-only")

// Store is a SQLite audit.SealStore. It is safe for concurrent use.
type Store struct {
	db *sql.DB
	// readOnly is set by OpenReadOnly; noSeals when the ledger has no seal
	// table yet (it was never sealed).
	readOnly, noSeals bool
}

var _ audit.SealStore = (*Store)(nil)

// Open opens the seal tables of the ledger in the SQLite file at path,
// creating or migrating them. The file must hold a ledger: anything else
// (no file, an empty file, another database) is refused, with an error
// wrapping os.ErrNotExist or sqlite.ErrNotLedger, and left as it was.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("open seal store: bad path %q", path)
	}
	if err := sqlite.CheckLedgerFile(ctx, path); err != nil {
		return nil, fmt.Errorf("open seal store %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		return nil, fmt.Errorf("open seal store %s: %w", path, err)
	}
	if err := migrate(ctx, db); err != nil {
		return nil, errors.Join(fmt.Errorf("open seal store %s: %w", path, err), db.Close())
	}
	return &Store{db: db}, nil
}

// OpenReadOnly opens the seals and events of the existing ledger at path
// for reading only: nothing is created or migrated and no byte of the file
// changes (see sqlite.OpenReadOnlyDB); it works on read-only media. A
// missing file is an error wrapping os.ErrNotExist; a file that is not a
// ledger, sqlite.ErrNotLedger; a ledger never sealed reads as no seals.
func OpenReadOnly(ctx context.Context, path string) (_ *Store, err error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open seal store: %w", err)
	}
	db, err := sqlite.OpenReadOnlyDB(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open seal store %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(fmt.Errorf("open seal store %s: %w", path, err), db.Close())
		}
	}()
	if err := sqlite.CheckLedger(ctx, db); err != nil {
		return nil, err
	}
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, migrationsTable).Scan(&tables); err != nil {
		return nil, err
	}
	s := &Store{db: db, readOnly: true, noSeals: tables == 0}
	if !s.noSeals {
		v, err := sqlitemigrate.Version(ctx, db, migrationsTable)
		if err != nil {
			return nil, err
		}
		if v > len(migrations) {
			return nil, fmt.Errorf("%s at version %d, this program knows up to %d: %w", migrationsTable, v, len(migrations), ErrSchemaTooNew)
		}
		s.noSeals = v == 0
	}
	return s, nil
}

// Close releases the connections.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close seal store: %w", err)
	}
	return nil
}

// AddSeal implements audit.SealStore.
func (s *Store) AddSeal(ctx context.Context, sl seal.Seal, pub ed25519.PublicKey) (err error) {
	if err := audit.CheckSealToStore(sl, pub); err != nil {
		return err
	}
	if s.readOnly {
		return fmt.Errorf("add seal of size %d: %w", sl.Size, ErrReadOnly)
	}
	// The DSN makes this BEGIN IMMEDIATE: the read and the insert are one
	// decision under the write lock, so two sealers cannot both insert.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add seal of size %d: %w", sl.Size, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, tx.Rollback())
		}
	}()
	stored, found, err := scanOne(tx.QueryRowContext(ctx, selectSeal+` WHERE size = ?`, int64(sl.Size)))
	if err != nil {
		return fmt.Errorf("add seal of size %d: %w", sl.Size, err)
	}
	if found {
		if audit.SameSeal(stored, sl, pub) {
			return tx.Rollback()
		}
		return audit.NewSealConflict(stored, sl, pub)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_seals (size, root, sealed_at, key_id, signature, public_key) VALUES (?, ?, ?, ?, ?, ?)`,
		int64(sl.Size), sl.Root[:], sl.SealedAt.UTC().Format(time.RFC3339Nano), sl.KeyID, sl.Signature, []byte(pub)); err != nil {
		return fmt.Errorf("add seal of size %d: %w", sl.Size, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("add seal of size %d: commit: %w", sl.Size, err)
	}
	return nil
}

// Seals implements audit.SealStore.
func (s *Store) Seals(ctx context.Context) ([]audit.StoredSeal, error) {
	if s.noSeals {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, selectSeal+` ORDER BY size`)
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
	if s.noSeals {
		return audit.StoredSeal{}, false, nil
	}
	st, found, err := scanOne(s.db.QueryRowContext(ctx, selectSeal+` ORDER BY size DESC LIMIT 1`))
	if err != nil {
		return audit.StoredSeal{}, false, fmt.Errorf("latest seal: %w", err)
	}
	return st, found, nil
}

const selectSeal = `SELECT size, root, sealed_at, key_id, signature, public_key FROM audit_seals`

type scanner interface{ Scan(dest ...any) error }

// scanOne reads one seal row; found is false for no row.
func scanOne(row scanner) (audit.StoredSeal, bool, error) {
	st, err := audit.ReadSeal(row.Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return audit.StoredSeal{}, false, nil
	}
	return st, err == nil, err
}
