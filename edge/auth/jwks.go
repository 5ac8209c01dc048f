package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/golang-jwt/jwt/v5"
)

// jwk is the part of a JSON Web Key (RFC 7517, RFC 7518 §6, RFC 8037) that
// this package reads. Other members (x5c, x5t, …) are ignored.
type jwk struct {
	Kty    string   `json:"kty"`
	Kid    string   `json:"kid"`
	Alg    string   `json:"alg"`
	Use    string   `json:"use"`
	KeyOps []string `json:"key_ops"`
	Crv    string   `json:"crv"`
	K      string   `json:"k"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
	// D is a private key's secret part; a verification set must not hold one.
	D string `json:"d"`
}

// maxKidBytes bounds a key id, which is also echoed in errors and logs.
const maxKidBytes = 256

// ParseJWKS reads a JWK Set, {"keys": [...]}, strictly: every key needs a
// unique "kid"; its algorithm follows from its type and, if "alg" is
// given, must be that one (oct → HS256, RSA → RS256, EC P-256 → ES256,
// OKP Ed25519 → EdDSA). Keys marked "use":"enc", or whose "key_ops" lack
// "verify", are not signature keys and are skipped. Anything else this
// package cannot verify with — another algorithm or curve, a short key, a
// private RSA/EC/OKP key — makes the whole set unacceptable, so a mistake
// is reported instead of silently dropping a key.
func ParseJWKS(data []byte) ([]Key, error) {
	var set struct {
		Keys *[]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	if set.Keys == nil {
		return nil, errors.New(`jwks: no "keys" member`)
	}
	var keys []Key
	for i, raw := range *set.Keys {
		var j jwk
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("jwks key %d: %w", i, err)
		}
		if j.Use == "enc" || (j.KeyOps != nil && !slices.Contains(j.KeyOps, "verify")) {
			continue
		}
		if j.Use != "" && j.Use != "sig" {
			return nil, fmt.Errorf("jwks key %d: unknown use %q", i, j.Use)
		}
		if j.Kid == "" || len(j.Kid) > maxKidBytes {
			return nil, fmt.Errorf("jwks key %d: kid must be 1 to %d bytes", i, maxKidBytes)
		}
		k, err := j.key()
		if err != nil {
			return nil, fmt.Errorf("jwks key %q: %w", j.Kid, err)
		}
		if j.Alg != "" && j.Alg != k.Alg {
			return nil, fmt.Errorf("jwks key %q: alg %q is not accepted for a %s key (this key verifies %s)", j.Kid, j.Alg, j.Kty, k.Alg)
		}
		keys = append(keys, k)
	}
	if _, err := NewKeySet(keys...); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	return keys, nil
}

func (j jwk) key() (Key, error) {
	if j.D != "" {
		return Key{}, errors.New("holds a private key: publish only public keys")
	}
	switch j.Kty {
	case "oct":
		secret, err := b64("k", j.K)
		if err != nil {
			return Key{}, err
		}
		return HS256Key(j.Kid, secret)
	case "RSA":
		n, err := b64("n", j.N)
		if err != nil {
			return Key{}, err
		}
		e, err := b64("e", j.E)
		if err != nil {
			return Key{}, err
		}
		if len(e) > 4 || len(e) == 0 || e[0] == 0 {
			return Key{}, errors.New("e is not a minimal exponent of at most 32 bits")
		}
		return RS256Key(j.Kid, &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())})
	case "EC":
		if j.Crv != "P-256" {
			return Key{}, fmt.Errorf("curve %q is not accepted: only P-256 (ES256)", j.Crv)
		}
		x, err := b64("x", j.X)
		if err != nil {
			return Key{}, err
		}
		y, err := b64("y", j.Y)
		if err != nil {
			return Key{}, err
		}
		if len(x) != 32 || len(y) != 32 {
			return Key{}, errors.New("x and y must be 32 bytes each")
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return Key{}, fmt.Errorf("not a P-256 point: %w", err)
		}
		return ES256Key(j.Kid, pub)
	case "OKP":
		if j.Crv != "Ed25519" {
			return Key{}, fmt.Errorf("curve %q is not accepted: only Ed25519 (EdDSA)", j.Crv)
		}
		x, err := b64("x", j.X)
		if err != nil {
			return Key{}, err
		}
		return EdDSAKey(j.Kid, ed25519.PublicKey(x))
	}
	return Key{}, fmt.Errorf("key type %q is not accepted", j.Kty)
}

func b64(name, s string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("%s is missing", name)
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%s is not unpadded base64url", name)
	}
	return b, nil
}

// HMACSecretFromFile returns the HS256 secret a secret file holds: the
// file's bytes exactly, less one final line ending ("\n" or "\r\n") so that
// `echo SECRET > file` works. No other whitespace is trimmed: a space or
// tab is part of the secret, as it would be for the identity provider that
// signs with it. The secret must be at least MinHMACSecretBytes long.
func HMACSecretFromFile(data []byte) ([]byte, error) {
	secret := data
	if s, ok := bytes.CutSuffix(secret, []byte("\n")); ok {
		secret = bytes.TrimSuffix(s, []byte("\r"))
	}
	if len(secret) < MinHMACSecretBytes {
		return nil, fmt.Errorf("HS256 secret is %d bytes: use at least %d", len(secret), MinHMACSecretBytes)
	}
	return secret, nil
}

// KeyFiles names the files a verifier's keys are read from; any may be
// empty. Reading them again (a Reloader) is how keys are rotated.
type KeyFiles struct {
	// JWKS is a JWK Set file (see ParseJWKS).
	JWKS string
	// HS256Secret is a shared-secret file (see HMACSecretFromFile); its key
	// has no kid.
	HS256Secret string
	// Ed25519PEM is a PEM "PUBLIC KEY" file; its key has no kid.
	Ed25519PEM string
}

// Paths lists the configured files in the order Parse expects their contents.
func (f KeyFiles) Paths() []string {
	var paths []string
	for _, p := range []string{f.JWKS, f.HS256Secret, f.Ed25519PEM} {
		if p != "" {
			paths = append(paths, p)
		}
	}
	return paths
}

// Parse builds the key set from the contents of Paths(), in that order.
func (f KeyFiles) Parse(contents [][]byte) (*KeySet, error) {
	if len(contents) != len(f.Paths()) {
		return nil, fmt.Errorf("key files: %d contents for %d files", len(contents), len(f.Paths()))
	}
	var keys []Key
	next := func() []byte { c := contents[0]; contents = contents[1:]; return c }
	if f.JWKS != "" {
		ks, err := ParseJWKS(next())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.JWKS, err)
		}
		keys = append(keys, ks...)
	}
	if f.HS256Secret != "" {
		secret, err := HMACSecretFromFile(next())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.HS256Secret, err)
		}
		k, _ := HS256Key("", secret)
		keys = append(keys, k)
	}
	if f.Ed25519PEM != "" {
		pub, err := jwt.ParseEdPublicKeyFromPEM(next())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Ed25519PEM, err)
		}
		edPub, ok := pub.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%s: not an Ed25519 public key", f.Ed25519PEM)
		}
		k, err := EdDSAKey("", edPub)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Ed25519PEM, err)
		}
		keys = append(keys, k)
	}
	set, err := NewKeySet(keys...)
	if err != nil {
		return nil, fmt.Errorf("key files: %w", err)
	}
	return set, nil
}
