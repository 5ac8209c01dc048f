package seal

import (
	"crypto/ed25519"
	"fmt"
	"strconv"
	"time"

	"github.com/disputes-ledger/disputes/audit/merkle"
)

// Domain is the first line of every signing input. It keeps a seal
// signature from being valid for any other message signed with the same key,
// and versions the format.
const Domain = "disputes-seal-v1"

// Seal is a signed statement that the global log's first Size events have
// the Merkle root Root. Its JSON field names are part of the wire format.
type Seal struct {
	// Size is the number of events sealed: the last global position P, the
	// seal covering positions 1..P.
	Size uint64 `json:"size"`
	// Root is the RFC 6962 root over the leaf hashes of those events' hashes.
	Root merkle.Hash `json:"root"`
	// SealedAt is when the ledger sealed, in UTC, as given to Sign.
	SealedAt time.Time `json:"sealed_at"`
	// KeyID is the fingerprint of the signing key (see KeyID).
	KeyID string `json:"key_id"`
	// Signature is the Ed25519 signature of SigningInput; base64 in JSON.
	Signature []byte `json:"signature"`
}

// SigningInput returns the exact bytes a seal signs: the Domain line, then
// one "name=value" line per field, in this order:
//
//	disputes-seal-v1
//	size=<decimal>
//	root=<64 lowercase hex digits>
//	sealed_at=<RFC 3339 with nanoseconds, in UTC>
//	key_id=<KeyID>
//
// each ending in "\n". The time is rendered in UTC so that the same instant
// signs the same bytes whatever zone it was written in, and KeyID is signed
// so that a seal cannot be relabelled with another key's name.
func SigningInput(size uint64, root merkle.Hash, sealedAt time.Time, keyID string) []byte {
	b := make([]byte, 0, 192)
	b = append(b, Domain+"\nsize="...)
	b = strconv.AppendUint(b, size, 10)
	b = append(b, "\nroot="...)
	b = append(b, root.String()...)
	b = append(b, "\nsealed_at="...)
	b = sealedAt.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, "\nkey_id="...)
	b = append(b, keyID...)
	b = append(b, '\n')
	return b
}

// Sign seals the log's first size events, whose Merkle root is root, at the
// time at (which the caller reads from its clock), with priv. It returns an
// error wrapping ErrInvalidKey for a key that is not an Ed25519 private key,
// or ErrMalformedSeal for a zero time or one outside years 0-9999 (which
// RFC 3339 cannot represent).
func Sign(priv ed25519.PrivateKey, size uint64, root merkle.Hash, at time.Time) (Seal, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return Seal{}, fmt.Errorf("sign seal of size %d: private key has %d bytes, want %d: %w", size, len(priv), ed25519.PrivateKeySize, ErrInvalidKey)
	}
	if err := checkTime(at); err != nil {
		return Seal{}, fmt.Errorf("sign seal of size %d: %w", size, err)
	}
	// UTC also drops any monotonic clock reading, which JSON would lose.
	s := Seal{Size: size, Root: root, SealedAt: at.UTC(), KeyID: KeyID(priv.Public().(ed25519.PublicKey))}
	s.Signature = ed25519.Sign(priv, SigningInput(s.Size, s.Root, s.SealedAt, s.KeyID))
	return s, nil
}

// Verify checks that s was signed by pub and not altered since. It returns
// nil on success, or an error wrapping ErrInvalidKey (pub is not an Ed25519
// public key), ErrMalformedSeal, ErrKeyMismatch (as a *KeyMismatchError: s
// names another key) or ErrBadSignature.
//
// Verify does not check Root against the log; recompute it, or prove events
// against it with package merkle.
func (s Seal) Verify(pub ed25519.PublicKey) error {
	if err := s.verify(pub); err != nil {
		return fmt.Errorf("verify seal of size %d: %w", s.Size, err)
	}
	return nil
}

func (s Seal) verify(pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("public key has %d bytes, want %d: %w", len(pub), ed25519.PublicKeySize, ErrInvalidKey)
	}
	if err := checkTime(s.SealedAt); err != nil {
		return err
	}
	// Checked before the signature so that the common mistake, verifying
	// with the wrong key, says so instead of reporting tampering.
	if want := KeyID(pub); s.KeyID != want {
		return &KeyMismatchError{SealKeyID: s.KeyID, VerifyingKeyID: want}
	}
	if len(s.Signature) != ed25519.SignatureSize {
		return fmt.Errorf("signature has %d bytes, want %d: %w", len(s.Signature), ed25519.SignatureSize, ErrBadSignature)
	}
	if !ed25519.Verify(pub, SigningInput(s.Size, s.Root, s.SealedAt, s.KeyID), s.Signature) {
		return ErrBadSignature
	}
	return nil
}

// checkTime rejects times a seal cannot carry.
func checkTime(at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("seal time is zero: %w", ErrMalformedSeal)
	}
	if y := at.UTC().Year(); y < 0 || y > 9999 {
		return fmt.Errorf("seal time year %d outside 0-9999: %w", y, ErrMalformedSeal)
	}
	return nil
}
