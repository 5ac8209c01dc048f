package auth

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/events"
)

// JWTVerifier verifies signed tokens (compact JWS, RFC 7515/7519). Exactly
// the algorithms whose key is configured are accepted; "none" and every
// other algorithm are refused, so a token cannot choose how it is checked.
type JWTVerifier struct {
	// HMACKey enables HS256. Use at least 32 random bytes.
	HMACKey []byte
	// Ed25519Key enables EdDSA (RFC 8037) with this public key.
	Ed25519Key ed25519.PublicKey
	// Issuer, if set, must equal the "iss" claim.
	Issuer string
	// Audience, if set, must be the "aud" claim or one of its values.
	Audience string
	// Leeway is the clock skew tolerated on "exp" and "nbf". Default none.
	Leeway time.Duration
	// MaxLifetime, if set, refuses tokens whose "exp" is further than this
	// from "iat" (or from now, without "iat").
	MaxLifetime time.Duration
	// Now is the verifier's clock. Default time.Now.
	Now func() time.Time
}

// The algorithms a JWTVerifier knows.
const (
	AlgHS256 = "HS256"
	AlgEdDSA = "EdDSA"
)

// Claims are the JWT claims the verifier reads. Role is a private claim.
type Claims struct {
	Subject   string          `json:"sub"`
	Role      events.Role     `json:"role"`
	Issuer    string          `json:"iss,omitempty"`
	Audience  json.RawMessage `json:"aud,omitempty"`
	ExpiresAt *int64          `json:"exp,omitempty"`
	NotBefore *int64          `json:"nbf,omitempty"`
	IssuedAt  *int64          `json:"iat,omitempty"`
}

type jwtHeader struct {
	Alg string `json:"alg"`
	Typ string `json:"typ,omitempty"`
	Kid string `json:"kid,omitempty"`
	// Crit lists extensions the token insists on; this verifier supports
	// none, so their presence makes the token unacceptable (RFC 7515 §4.1.11).
	Crit []string `json:"crit,omitempty"`
}

// maxJWTBytes bounds the work done on a token before its signature is checked.
const maxJWTBytes = 8 << 10

// Authenticate implements Authenticator.
func (v *JWTVerifier) Authenticate(_ context.Context, token string) (Principal, error) {
	p, err := v.Verify(token)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	return p, nil
}

// Verify checks the token's signature and claims and returns its principal.
func (v *JWTVerifier) Verify(token string) (Principal, error) {
	if len(token) > maxJWTBytes {
		return Principal{}, fmt.Errorf("jwt is %d bytes, limit %d", len(token), maxJWTBytes)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Principal{}, errors.New("jwt must have three parts")
	}
	var h jwtHeader
	if err := decodePart(parts[0], &h); err != nil {
		return Principal{}, fmt.Errorf("jwt header: %w", err)
	}
	if len(h.Crit) > 0 {
		return Principal{}, fmt.Errorf("jwt header: unsupported critical extensions %v", h.Crit)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return Principal{}, errors.New("jwt signature is not base64url")
	}
	signed := []byte(token[:len(parts[0])+1+len(parts[1])])
	switch {
	case h.Alg == AlgHS256 && len(v.HMACKey) > 0:
		mac := hmac.New(sha256.New, v.HMACKey)
		mac.Write(signed)
		if !hmac.Equal(mac.Sum(nil), sig) {
			return Principal{}, errors.New("jwt signature does not verify")
		}
	case h.Alg == AlgEdDSA && len(v.Ed25519Key) == ed25519.PublicKeySize:
		if len(sig) != ed25519.SignatureSize || !ed25519.Verify(v.Ed25519Key, signed, sig) {
			return Principal{}, errors.New("jwt signature does not verify")
		}
	default:
		return Principal{}, fmt.Errorf("jwt algorithm %q is not accepted", h.Alg)
	}
	var c Claims
	if err := decodePart(parts[1], &c); err != nil {
		return Principal{}, fmt.Errorf("jwt claims: %w", err)
	}
	if err := v.checkClaims(c); err != nil {
		return Principal{}, err
	}
	p := Principal{Role: c.Role, ID: c.Subject}
	if err := checkPrincipal(p); err != nil {
		return Principal{}, fmt.Errorf("jwt principal: %w", err)
	}
	return p, nil
}

func (v *JWTVerifier) checkClaims(c Claims) error {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	t := now()
	if c.ExpiresAt == nil {
		return errors.New("jwt has no exp claim")
	}
	exp := time.Unix(*c.ExpiresAt, 0)
	if !t.Before(exp.Add(v.Leeway)) {
		return fmt.Errorf("jwt expired at %s", exp.UTC().Format(time.RFC3339))
	}
	if c.NotBefore != nil {
		if nbf := time.Unix(*c.NotBefore, 0); t.Add(v.Leeway).Before(nbf) {
			return fmt.Errorf("jwt not valid before %s", nbf.UTC().Format(time.RFC3339))
		}
	}
	if v.MaxLifetime > 0 {
		from := t
		if c.IssuedAt != nil {
			from = time.Unix(*c.IssuedAt, 0)
		}
		if exp.Sub(from) > v.MaxLifetime {
			return fmt.Errorf("jwt lifetime exceeds %s", v.MaxLifetime)
		}
	}
	if v.Issuer != "" && c.Issuer != v.Issuer {
		return fmt.Errorf("jwt issuer %q is not %q", c.Issuer, v.Issuer)
	}
	if v.Audience != "" && !hasAudience(c.Audience, v.Audience) {
		return fmt.Errorf("jwt is not for audience %q", v.Audience)
	}
	return nil
}

// hasAudience reports whether aud, a string or an array of strings, holds want.
func hasAudience(aud json.RawMessage, want string) bool {
	var one string
	if json.Unmarshal(aud, &one) == nil {
		return one == want
	}
	var many []string
	if json.Unmarshal(aud, &many) == nil {
		for _, a := range many {
			if a == want {
				return true
			}
		}
	}
	return false
}

func decodePart(part string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return errors.New("not base64url")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

// SignJWT returns a compact JWS of claims signed with key: a []byte for
// HS256 or an ed25519.PrivateKey for EdDSA. It is for tests, tools and
// demos; production tokens come from the marketplace's identity provider.
func SignJWT(claims Claims, key any) (string, error) {
	var alg string
	switch key.(type) {
	case []byte:
		alg = AlgHS256
	case ed25519.PrivateKey:
		alg = AlgEdDSA
	default:
		return "", fmt.Errorf("sign jwt: unsupported key type %T", key)
	}
	h, err := json.Marshal(jwtHeader{Alg: alg, Typ: "JWT"})
	if err != nil {
		return "", fmt.Errorf("sign jwt: %w", err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("sign jwt: %w", err)
	}
	signed := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	var sig []byte
	switch k := key.(type) {
	case []byte:
		mac := hmac.New(sha256.New, k)
		mac.Write([]byte(signed))
		sig = mac.Sum(nil)
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, []byte(signed))
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
