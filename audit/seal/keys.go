package seal

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"strings"
)

// PEM block types of the key files.
const (
	privateKeyPEMType = "PRIVATE KEY" // PKCS #8
	publicKeyPEMType  = "PUBLIC KEY"  // PKIX (SubjectPublicKeyInfo)
)

// KeyID returns the fingerprint of an Ed25519 public key that seals carry:
// "ed25519:" followed by the first 16 bytes of SHA-256 of the 32 raw public
// key bytes, in lowercase hex (32 digits). Sixteen bytes are plenty to tell
// a handful of ledger keys apart; the signature, not the fingerprint, is what
// authenticates.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "ed25519:" + hex.EncodeToString(sum[:16])
}

// GenerateKey returns a new Ed25519 key pair from the entropy of random
// (crypto/rand.Reader in production; a fixed reader gives a fixed key in
// tests). With a nil random, a secure source is used.
func GenerateKey(random io.Reader) (ed25519.PublicKey, ed25519.PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(random)
	if err != nil {
		return nil, nil, fmt.Errorf("generate seal key: %w", err)
	}
	return pub, priv, nil
}

// ParsePrivateKeyPEM parses an Ed25519 private key from the contents of a
// PEM file holding a PKCS #8 "PRIVATE KEY" block (as written by
// MarshalPrivateKeyPEM or `openssl genpkey -algorithm ed25519`). It returns
// an error wrapping ErrInvalidKey for anything else.
func ParsePrivateKeyPEM(data []byte) (ed25519.PrivateKey, error) {
	der, err := decodePEM(data, privateKeyPEMType)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %v: %w", err, ErrInvalidKey)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("parse private key: PKCS #8 key is %T, want Ed25519: %w", key, ErrInvalidKey)
	}
	return priv, nil
}

// MarshalPrivateKeyPEM encodes priv as a PKCS #8 "PRIVATE KEY" PEM block,
// the form ParsePrivateKeyPEM reads.
func MarshalPrivateKeyPEM(priv ed25519.PrivateKey) ([]byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("marshal private key: %d bytes, want %d: %w", len(priv), ed25519.PrivateKeySize, ErrInvalidKey)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: privateKeyPEMType, Bytes: der}), nil
}

// ParsePrivateKeySeed parses an Ed25519 private key from the standard base64
// (with padding) encoding of its 32-byte seed, such as the value of an
// environment variable the caller read. Surrounding white space is ignored.
// Errors wrap ErrInvalidKey and never quote the value, which is a secret.
func ParsePrivateKeySeed(value string) (ed25519.PrivateKey, error) {
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
	if err != nil {
		return nil, fmt.Errorf("parse private key seed: not standard base64: %w", ErrInvalidKey)
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("parse private key seed: %d bytes, want %d: %w", len(seed), ed25519.SeedSize, ErrInvalidKey)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// EncodeSeed returns the standard base64 encoding of priv's seed, the form
// ParsePrivateKeySeed reads.
func EncodeSeed(priv ed25519.PrivateKey) string {
	return base64.StdEncoding.EncodeToString(priv.Seed())
}

// MarshalPublicKeyPEM encodes pub as a PKIX "PUBLIC KEY" PEM block, the form
// auditors are given and ParsePublicKeyPEM reads.
func MarshalPublicKeyPEM(pub ed25519.PublicKey) ([]byte, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("marshal public key: %d bytes, want %d: %w", len(pub), ed25519.PublicKeySize, ErrInvalidKey)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: publicKeyPEMType, Bytes: der}), nil
}

// ParsePublicKeyPEM parses an Ed25519 public key from a PKIX "PUBLIC KEY"
// PEM block. It returns an error wrapping ErrInvalidKey for anything else.
func ParsePublicKeyPEM(data []byte) (ed25519.PublicKey, error) {
	der, err := decodePEM(data, publicKeyPEMType)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %v: %w", err, ErrInvalidKey)
	}
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("parse public key: PKIX key is %T, want Ed25519: %w", key, ErrInvalidKey)
	}
	return pub, nil
}

// decodePEM returns the bytes of the first PEM block in data, which must be
// of type typ.
func decodePEM(data []byte, typ string) ([]byte, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("no PEM block: %w", ErrInvalidKey)
	}
	if block.Type != typ {
		return nil, fmt.Errorf("PEM block is %q, want %q: %w", block.Type, typ, ErrInvalidKey)
	}
	return block.Bytes, nil
}
