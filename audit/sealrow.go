package audit

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/audit/merkle"
	"github.com/disputes-ledger/disputes/audit/seal"
)

// SealRow is a seal as the SQL seal stores keep it: one column per field,
// the time as RFC 3339 text with nanoseconds.
type SealRow struct {
	Size      int64
	Root      []byte
	SealedAt  string
	KeyID     string
	Signature []byte
	PublicKey []byte
}

// Columns returns pointers to the row's fields in the stores' column order
// (size, root, sealed_at, key_id, signature, public_key), for Scan.
func (r *SealRow) Columns() []any {
	return []any{&r.Size, &r.Root, &r.SealedAt, &r.KeyID, &r.Signature, &r.PublicKey}
}

// Seal checks the row's shape and returns the stored seal it holds. A row
// that could not have been written by AddSeal fails with an error wrapping
// seal.ErrMalformedSeal, so a hand-edited table is reported, not trusted.
func (r SealRow) Seal() (StoredSeal, error) {
	var st StoredSeal
	if r.Size < 0 {
		return st, fmt.Errorf("seal of size %d: negative size: %w", r.Size, seal.ErrMalformedSeal)
	}
	if len(r.Root) != merkle.HashSize {
		return st, fmt.Errorf("seal of size %d: root has %d bytes: %w", r.Size, len(r.Root), seal.ErrMalformedSeal)
	}
	sealedAt, err := time.Parse(time.RFC3339Nano, r.SealedAt)
	if err != nil {
		return st, fmt.Errorf("seal of size %d: sealed_at: %v: %w", r.Size, err, seal.ErrMalformedSeal)
	}
	st.Size, st.SealedAt, st.KeyID, st.Signature = uint64(r.Size), sealedAt.UTC(), r.KeyID, r.Signature
	st.PublicKey = ed25519.PublicKey(r.PublicKey)
	copy(st.Root[:], r.Root)
	return st, nil
}

// Rows is what database/sql's *sql.Rows and pgx.Rows both offer, so that
// the SQL seal stores and raw log readers walk a result one way (ReadRows).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ReadRows reads every row of rows with read, in order, and returns the
// first error, read's or the driver's. It does not close rows.
func ReadRows[T any](rows Rows, read func(scan func(dest ...any) error) (T, error)) ([]T, error) {
	var out []T
	for rows.Next() {
		v, err := read(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ReadSeal scans one seal row with scan (a row's or a result's Scan) and
// checks it (SealRow.Seal). The scan's own error, such as the driver's
// "no rows", is returned as it is, for the store to tell apart.
func ReadSeal(scan func(dest ...any) error) (StoredSeal, error) {
	var r SealRow
	if err := scan(r.Columns()...); err != nil {
		return StoredSeal{}, err
	}
	return r.Seal()
}
