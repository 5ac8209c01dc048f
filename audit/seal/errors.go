package seal

import (
	"errors"
	"fmt"
)

// ErrInvalidKey is returned (wrapped) for a key of the wrong size or type, or
// key material that does not parse.
var ErrInvalidKey = errors.New("invalid key")

// ErrBadSignature is returned (wrapped) by Seal.Verify when the signature
// does not match the seal's content under the verifying key: the seal was
// altered after signing, or signed by another key than its KeyID claims.
var ErrBadSignature = errors.New("bad seal signature")

// ErrKeyMismatch is returned (wrapped, as a *KeyMismatchError) by
// Seal.Verify when the seal names another key than the verifying one.
var ErrKeyMismatch = errors.New("seal key mismatch")

// ErrMalformedSeal is returned (wrapped) for a seal that cannot be signed or
// verified as it stands, such as one with no time.
var ErrMalformedSeal = errors.New("malformed seal")

// KeyMismatchError is returned (wrapped) by Seal.Verify when the seal's
// KeyID is not the fingerprint of the verifying key: the seal was signed,
// or claims to be signed, by another key. It matches ErrKeyMismatch with
// errors.Is.
type KeyMismatchError struct {
	// SealKeyID is the KeyID the seal carries.
	SealKeyID string
	// VerifyingKeyID is the KeyID of the key the caller verifies with.
	VerifyingKeyID string
}

// Error names both keys, so the operator sees which key signed the seal.
func (e *KeyMismatchError) Error() string {
	return fmt.Sprintf("seal signed by key %s, verifying key is %s", e.SealKeyID, e.VerifyingKeyID)
}

// Unwrap makes a KeyMismatchError match ErrKeyMismatch.
func (e *KeyMismatchError) Unwrap() error { return ErrKeyMismatch }
