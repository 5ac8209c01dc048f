package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Defaults of a JWTVerifier.
const (
	// DefaultMaxLifetime bounds how far in the future a token's "exp" may lie.
	DefaultMaxLifetime = 24 * time.Hour
	// DefaultLeeway is the clock skew `disputes serve` tolerates.
	DefaultLeeway = 30 * time.Second
	// MaxLeeway bounds the configurable leeway: more would let a token
	// issued for later, or long expired, pass.
	MaxLeeway = 5 * time.Minute
)

// JWTVerifier verifies signed tokens (compact JWS, RFC 7515/7519) with
// github.com/golang-jwt/jwt/v5. A token is accepted only if all hold:
//   - its "alg" is one of AcceptedAlgs and equals the algorithm of the key
//     its "kid" selects (Key); no "crit" header;
//   - "exp" is present and not past; "exp" is at most MaxLifetime after
//     "iat" and after now; "iat" and "nbf", if present, are not in the
//     future (each beyond Leeway);
//   - "iss" and "aud" match Issuer and Audience when those are set;
//   - the claims are spelled exactly (see Claims) and name a principal
//     that may hold a token: a known role other than system, a valid id.
type JWTVerifier struct {
	// Keys gives the verification keys in force; a Reloader makes rotation
	// a matter of editing the key files.
	Keys KeyProvider
	// Issuer, if set, must equal the "iss" claim.
	Issuer string
	// Audience, if set, must be the "aud" claim or one of its values.
	Audience string
	// Leeway is the clock skew tolerated on "exp", "nbf" and "iat", at most
	// MaxLeeway. Zero tolerates none.
	Leeway time.Duration
	// MaxLifetime bounds "exp" − "iat" and "exp" − now. Zero means
	// DefaultMaxLifetime; there is no unbounded setting.
	MaxLifetime time.Duration
	// Now is the verifier's clock. Default time.Now.
	Now func() time.Time
	// CacheSize bounds how many verified tokens Authenticate remembers, so
	// that a client sending the same token with every request does not
	// have its signature checked every time. Zero means
	// DefaultJWTCacheSize; negative remembers none.
	CacheSize int

	cacheOnce sync.Once
	cache     *verifiedTokens
}

// maxJWTBytes bounds the work done on a token before its signature is checked.
const maxJWTBytes = 8 << 10

// Authenticate implements Authenticator. A token that verified before,
// under the key set in force now, is not parsed or verified again: its
// remembered claims are checked again at the time now, as Verify checks
// them (see verifiedTokens).
func (v *JWTVerifier) Authenticate(_ context.Context, token string) (Principal, error) {
	p, err := v.verifyRemembered(token)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	return p, nil
}

// Verify checks the token's signature and claims and returns its principal.
func (v *JWTVerifier) Verify(token string) (Principal, error) {
	keys, now, err := v.prepare(token)
	if err != nil {
		return Principal{}, err
	}
	p, _, err := v.verify(token, keys, now)
	return p, err
}

// prepare checks what Verify checks before it reads the token, and returns
// the key set in force and the time now.
func (v *JWTVerifier) prepare(token string) (*KeySet, time.Time, error) {
	if len(token) > maxJWTBytes {
		return nil, time.Time{}, fmt.Errorf("jwt is %d bytes, limit %d", len(token), maxJWTBytes)
	}
	if v.Leeway < 0 || v.Leeway > MaxLeeway {
		return nil, time.Time{}, fmt.Errorf("jwt leeway %s is outside 0 to %s", v.Leeway, MaxLeeway)
	}
	if v.Keys == nil {
		return nil, time.Time{}, errors.New("no jwt keys are configured")
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	return v.Keys.Current(), now, nil
}

// options are the parser's: the accepted algorithms, and the claims'
// checks at now.
func (v *JWTVerifier) options(now time.Time) []jwt.ParserOption {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(AcceptedAlgs),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(v.Leeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithStrictDecoding(),
	}
	if v.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(v.Issuer))
	}
	if v.Audience != "" {
		opts = append(opts, jwt.WithAudience(v.Audience))
	}
	return opts
}

// verify parses the token, checks its signature with keys and its claims
// at now, and returns its principal and claims.
func (v *JWTVerifier) verify(token string, keys *KeySet, now time.Time) (Principal, Claims, error) {
	var c Claims
	_, err := jwt.NewParser(v.options(now)...).ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		if _, ok := t.Header["crit"]; ok {
			// This verifier supports no extension, so a token that insists
			// on one is unacceptable (RFC 7515 §4.1.11).
			return nil, errors.New("critical header extensions are not supported")
		}
		kid := ""
		if raw, ok := t.Header["kid"]; ok {
			s, isString := raw.(string)
			if !isString || s == "" {
				return nil, errors.New("kid must be a non-empty string")
			}
			kid = s
		}
		return keys.lookup(kid, t.Method.Alg())
	})
	if err != nil {
		return Principal{}, Claims{}, fmt.Errorf("jwt: %w", err)
	}
	if err := v.checkLifetime(c, now); err != nil {
		return Principal{}, Claims{}, err
	}
	p := Principal{Role: c.Role, ID: c.Subject}
	if err := checkPrincipal(p); err != nil {
		return Principal{}, Claims{}, fmt.Errorf("jwt principal: %w", err)
	}
	return p, c, nil
}

// recheck is what of verify depends on the time: the claims' checks at now
// (the parser's validator, with the same options) and the lifetime bound.
// Everything else verify checks (signature, algorithm, key, the claims'
// spelling, the principal) depends only on the token, the key set and the
// settings.
func (v *JWTVerifier) recheck(c Claims, now time.Time) error {
	if err := jwt.NewValidator(v.options(now)...).Validate(&c); err != nil {
		return fmt.Errorf("jwt: %w: %w", jwt.ErrTokenInvalidClaims, err)
	}
	return v.checkLifetime(c, now)
}

// checkLifetime refuses tokens valid for longer than MaxLifetime: a stolen
// token must not outlive the usual session, and "exp" in the year 9999
// is a token that never expires.
func (v *JWTVerifier) checkLifetime(c Claims, now time.Time) error {
	limit := v.MaxLifetime
	if limit <= 0 {
		limit = DefaultMaxLifetime
	}
	// In whole seconds: the dates are bounded (maxNumericDate), so neither
	// difference can overflow, as a time.Duration of centuries would.
	limitSec := int64(limit / time.Second)
	if c.IssuedAt != nil {
		if d := *c.ExpiresAt - *c.IssuedAt; d > limitSec {
			return fmt.Errorf("jwt lifetime exp − iat is %ds, limit %s", d, limit)
		}
	}
	if *c.ExpiresAt-now.Unix() > limitSec {
		return fmt.Errorf("jwt expires at %s, more than %s from now", time.Unix(*c.ExpiresAt, 0).UTC().Format(time.RFC3339), limit)
	}
	return nil
}

// SignJWT returns a compact JWS of claims signed with key, without a kid:
// a []byte for HS256, an ed25519.PrivateKey for EdDSA, an *rsa.PrivateKey
// for RS256 or an *ecdsa.PrivateKey (P-256) for ES256. It is for tests,
// tools and demos; production tokens come from the identity provider.
func SignJWT(claims Claims, key any) (string, error) {
	return SignJWTWithKeyID(claims, "", key)
}

// SignJWTWithKeyID is SignJWT with a "kid" header naming the key.
func SignJWTWithKeyID(claims Claims, kid string, key any) (string, error) {
	var method jwt.SigningMethod
	switch key.(type) {
	case []byte:
		method = jwt.SigningMethodHS256
	case ed25519.PrivateKey:
		method = jwt.SigningMethodEdDSA
	case *rsa.PrivateKey:
		method = jwt.SigningMethodRS256
	case *ecdsa.PrivateKey:
		method = jwt.SigningMethodES256
	default:
		return "", fmt.Errorf("sign jwt: unsupported key type %T", key)
	}
	t := jwt.NewWithClaims(method, claims)
	if kid != "" {
		t.Header["kid"] = kid
	}
	s, err := t.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("sign jwt: %w", err)
	}
	return s, nil
}
