package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
)

// The signature algorithms a JWTVerifier accepts (RFC 7518, RFC 8037). Each
// key verifies exactly one of them; "none" and every other algorithm are
// refused.
const (
	AlgHS256 = "HS256"
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
	AlgEdDSA = "EdDSA"
)

// AcceptedAlgs lists the accepted algorithms.
var AcceptedAlgs = []string{AlgHS256, AlgRS256, AlgES256, AlgEdDSA}

// Minimum key strengths: a shorter HS256 secret can be guessed offline from
// a single token, a shorter RSA modulus is below current guidance.
const (
	MinHMACSecretBytes = 32
	MinRSABits         = 2048
)

// Key is one verification key, pinned to the one algorithm it verifies: a
// token naming another algorithm is refused even if its signature would
// verify (no algorithm confusion, e.g. HS256 keyed with an RSA public key).
type Key struct {
	// ID is the key's "kid". Keys from a JWKS file always have one; a key
	// given alone (a secret or PEM file) has none and verifies only tokens
	// without a "kid".
	ID string
	// Alg is the algorithm the key verifies.
	Alg string
	// material is []byte, *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey.
	material any
}

// HS256Key returns a key verifying HS256 with secret, at least
// MinHMACSecretBytes long.
func HS256Key(kid string, secret []byte) (Key, error) {
	if len(secret) < MinHMACSecretBytes {
		return Key{}, fmt.Errorf("HS256 secret is %d bytes: use at least %d", len(secret), MinHMACSecretBytes)
	}
	return Key{ID: kid, Alg: AlgHS256, material: slices.Clone(secret)}, nil
}

// RS256Key returns a key verifying RS256 with pub, at least MinRSABits.
func RS256Key(kid string, pub *rsa.PublicKey) (Key, error) {
	if pub == nil || pub.N == nil {
		return Key{}, errors.New("RS256 key is empty")
	}
	if pub.N.BitLen() < MinRSABits {
		return Key{}, fmt.Errorf("RS256 key is %d bits: use at least %d", pub.N.BitLen(), MinRSABits)
	}
	if pub.E < 3 || pub.E%2 == 0 {
		return Key{}, fmt.Errorf("RS256 key exponent %d is not an odd number above 2", pub.E)
	}
	return Key{ID: kid, Alg: AlgRS256, material: pub}, nil
}

// ES256Key returns a key verifying ES256 with pub, a P-256 key.
func ES256Key(kid string, pub *ecdsa.PublicKey) (Key, error) {
	if pub == nil || pub.Curve != elliptic.P256() {
		return Key{}, errors.New("ES256 key must be on curve P-256")
	}
	return Key{ID: kid, Alg: AlgES256, material: pub}, nil
}

// EdDSAKey returns a key verifying EdDSA (Ed25519) with pub.
func EdDSAKey(kid string, pub ed25519.PublicKey) (Key, error) {
	if len(pub) != ed25519.PublicKeySize {
		return Key{}, fmt.Errorf("Ed25519 key is %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	return Key{ID: kid, Alg: AlgEdDSA, material: slices.Clone(pub)}, nil
}

// KeySet is the immutable set of keys a JWTVerifier checks signatures with.
// A token's "kid" selects the key; a token without "kid" selects the one
// key without an id for its algorithm.
type KeySet struct {
	keys []Key
}

// NewKeySet checks that every key is distinct by its lookup: ids are
// unique, and at most one key without an id exists per algorithm.
func NewKeySet(keys ...Key) (*KeySet, error) {
	for i, k := range keys {
		if !slices.Contains(AcceptedAlgs, k.Alg) || k.material == nil {
			return nil, fmt.Errorf("key %d: not made by a key constructor", i)
		}
		for _, o := range keys[:i] {
			if k.ID != "" && o.ID == k.ID {
				return nil, fmt.Errorf("key id %q is listed twice", k.ID)
			}
			if k.ID == "" && o.ID == "" && o.Alg == k.Alg {
				return nil, fmt.Errorf("two %s keys without an id: give each a kid", k.Alg)
			}
		}
	}
	return &KeySet{keys: slices.Clone(keys)}, nil
}

// Current returns s itself, so a fixed set serves where a reloaded one may.
func (s *KeySet) Current() *KeySet { return s }

// Len returns the number of keys in the set.
func (s *KeySet) Len() int { return len(s.keys) }

// lookup returns the material of the key a token with header kid and alg
// is checked with, or why there is none.
func (s *KeySet) lookup(kid, alg string) (any, error) {
	for _, k := range s.keys {
		if k.ID != kid || (kid == "" && k.Alg != alg) {
			continue
		}
		if k.Alg != alg {
			return nil, fmt.Errorf("key %q verifies %s, the token says %s", kid, k.Alg, alg)
		}
		return k.material, nil
	}
	if kid == "" {
		return nil, fmt.Errorf("no %s key without a kid is configured", alg)
	}
	return nil, fmt.Errorf("no key with kid %q", kid)
}

// KeyProvider gives the key set in force now. *KeySet and a Reloader of
// key sets implement it.
type KeyProvider interface {
	Current() *KeySet
}
