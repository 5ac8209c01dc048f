package audit

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/audit/seal"
)

// CheckSealToStore returns the error SealStore.AddSeal returns for a seal no
// store may keep, before the store is touched: a public key that is not an
// Ed25519 key (wrapping seal.ErrInvalidKey), or a size of zero or beyond a
// signed 64-bit integer, which SQL columns cannot hold (wrapping
// seal.ErrMalformedSeal). Every SealStore calls it, so they refuse alike.
func CheckSealToStore(s seal.Seal, pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("add seal of size %d: public key has %d bytes: %w", s.Size, len(pub), seal.ErrInvalidKey)
	}
	if s.Size == 0 || s.Size > 1<<63-1 {
		return fmt.Errorf("add seal of size %d: %w", s.Size, seal.ErrMalformedSeal)
	}
	return nil
}

// SameSeal reports whether offering s signed by pub again, when stored is
// already kept at its size, is an idempotent retry: every signed byte, the
// signature and the key are equal.
func SameSeal(stored StoredSeal, s seal.Seal, pub ed25519.PublicKey) bool {
	return stored.Size == s.Size && stored.Root == s.Root && stored.SealedAt.Equal(s.SealedAt) &&
		stored.KeyID == s.KeyID && string(stored.Signature) == string(s.Signature) &&
		string(stored.PublicKey) == string(pub)
}

// SealConflictError is the error (wrapping ErrSealConflict) a SealStore
// returns for a seal offered at a size that holds another one. Its message
// names what differs: the two roots when they differ, which is a fork of
// the log, else the times, keys or signatures.
type SealConflictError struct {
	// Stored is the seal kept at the size.
	Stored StoredSeal
	// Offered is the seal refused, with the public key it came with.
	Offered StoredSeal
}

// NewSealConflict returns the conflict between stored and the offered s
// signed by pub.
func NewSealConflict(stored StoredSeal, s seal.Seal, pub ed25519.PublicKey) *SealConflictError {
	return &SealConflictError{Stored: stored, Offered: StoredSeal{Seal: s, PublicKey: pub}}
}

// Error names the size and each field that differs, stored value first.
func (e *SealConflictError) Error() string {
	a, b := e.Stored, e.Offered
	var diffs []string
	if a.Root != b.Root {
		diffs = append(diffs, fmt.Sprintf("root %s is stored, %s offered", a.Root, b.Root))
	}
	if !a.SealedAt.Equal(b.SealedAt) {
		diffs = append(diffs, fmt.Sprintf("sealed at %s is stored, %s offered",
			a.SealedAt.UTC().Format(time.RFC3339Nano), b.SealedAt.UTC().Format(time.RFC3339Nano)))
	}
	if a.KeyID != b.KeyID {
		diffs = append(diffs, fmt.Sprintf("key %s is stored, %s offered", a.KeyID, b.KeyID))
	}
	if string(a.PublicKey) != string(b.PublicKey) && a.KeyID == b.KeyID {
		diffs = append(diffs, fmt.Sprintf("public key %s is stored, %s offered", seal.KeyID(a.PublicKey), seal.KeyID(b.PublicKey)))
	}
	if len(diffs) == 0 {
		diffs = append(diffs, "the signatures differ")
	}
	return fmt.Sprintf("add seal of size %d: %s: %s", b.Size, strings.Join(diffs, "; "), ErrSealConflict)
}

// Unwrap makes a SealConflictError match ErrSealConflict.
func (e *SealConflictError) Unwrap() error { return ErrSealConflict }
