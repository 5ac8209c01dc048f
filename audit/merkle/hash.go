package merkle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// HashSize is the length in bytes of a Hash.
const HashSize = sha256.Size

// Prefixes of RFC 6962 section 2.1 that separate leaf hashes from node hashes.
const (
	leafPrefix = 0x00
	nodePrefix = 0x01
)

// Hash is a SHA-256 digest: a leaf hash, an inner node hash or a tree root.
// Its text form is 64 lowercase hex digits.
type Hash [HashSize]byte

// EmptyRoot returns the root of the tree with no leaves, SHA-256 of the
// empty string.
func EmptyRoot() Hash { return sha256.Sum256(nil) }

// LeafHash returns the RFC 6962 leaf hash of data, SHA-256(0x00 || data).
func LeafHash(data []byte) Hash {
	h := sha256.New()
	h.Write([]byte{leafPrefix})
	h.Write(data)
	var out Hash
	h.Sum(out[:0])
	return out
}

// NodeHash returns the RFC 6962 hash of an inner node with children left and
// right, SHA-256(0x01 || left || right).
func NodeHash(left, right Hash) Hash {
	// One fixed-size buffer and sha256.Sum256 avoid the allocations of a
	// hash.Hash: node hashing is the inner loop of every root and proof.
	var buf [1 + 2*HashSize]byte
	buf[0] = nodePrefix
	copy(buf[1:], left[:])
	copy(buf[1+HashSize:], right[:])
	return sha256.Sum256(buf[:])
}

// ParseHash decodes the 64-hex-digit form of a Hash. It returns an error
// wrapping ErrMalformedHash for any other input.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if err := h.UnmarshalText([]byte(s)); err != nil {
		return Hash{}, err
	}
	return h, nil
}

// String returns h as 64 lowercase hex digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText encodes h as 64 lowercase hex digits, so that a Hash is a JSON
// string.
func (h Hash) MarshalText() ([]byte, error) {
	out := make([]byte, hex.EncodedLen(HashSize))
	hex.Encode(out, h[:])
	return out, nil
}

// UnmarshalText decodes 64 hex digits (either case) into h. It returns an
// error wrapping ErrMalformedHash for any other input and leaves h unchanged.
func (h *Hash) UnmarshalText(text []byte) error {
	if len(text) != hex.EncodedLen(HashSize) {
		return fmt.Errorf("parse hash: %d hex digits, want %d: %w", len(text), hex.EncodedLen(HashSize), ErrMalformedHash)
	}
	var tmp Hash
	if _, err := hex.Decode(tmp[:], text); err != nil {
		return fmt.Errorf("parse hash: %v: %w", err, ErrMalformedHash)
	}
	*h = tmp
	return nil
}
