package merkle

import (
	"errors"
	"fmt"
)

// ErrInvalidProof is returned (wrapped) by VerifyInclusion and
// VerifyConsistency when a proof does not prove its claim: wrong length or a
// computed root that differs from the expected one (see RootMismatchError).
var ErrInvalidProof = errors.New("invalid proof")

// ErrIndexOutOfRange is returned (wrapped) when a leaf index is not smaller
// than the tree size it is checked against.
var ErrIndexOutOfRange = errors.New("leaf index out of range")

// ErrSizeOutOfRange is returned (wrapped) when a tree size exceeds the number
// of leaves a Tree holds, or when the first size of a consistency check is
// larger than the second.
var ErrSizeOutOfRange = errors.New("tree size out of range")

// ErrMalformedHash is returned (wrapped) by ParseHash and Hash.UnmarshalText
// for text that is not 64 hex digits.
var ErrMalformedHash = errors.New("malformed hash")

// RootMismatchError is returned (wrapped) when a proof is well formed but
// leads to a root other than the expected one: the leaf, the proof or the
// root was altered, or they belong to different trees. It matches
// ErrInvalidProof with errors.Is.
type RootMismatchError struct {
	// Size is the size of the tree whose root did not match.
	Size uint64
	// Computed is the root the proof leads to.
	Computed Hash
	// Expected is the root the caller trusts for Size.
	Expected Hash
}

// Error describes the mismatch with both roots in hex.
func (e *RootMismatchError) Error() string {
	return fmt.Sprintf("root of tree size %d: proof leads to %s, expected %s", e.Size, e.Computed, e.Expected)
}

// Unwrap makes a RootMismatchError match ErrInvalidProof.
func (e *RootMismatchError) Unwrap() error { return ErrInvalidProof }
