package auth_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/auth"
	"github.com/disputes-ledger/disputes/events"
)

func unix(t time.Time) *int64 { u := t.Unix(); return &u }

func TestJWTVerify(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)
	hmacKey := []byte("0123456789abcdef0123456789abcdef")
	pub, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	_, otherPriv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	v := &auth.JWTVerifier{HMACKey: hmacKey, Ed25519Key: pub, Issuer: "idp", Audience: "disputes",
		MaxLifetime: 24 * time.Hour, Now: func() time.Time { return now }}
	aud := json.RawMessage(`["other","disputes"]`)
	good := auth.Claims{Subject: "m-1", Role: events.RoleMerchant, Issuer: "idp", Audience: aud,
		ExpiresAt: unix(now.Add(time.Hour)), IssuedAt: unix(now)}

	with := func(f func(*auth.Claims)) auth.Claims { c := good; f(&c); return c }
	sign := func(c auth.Claims, key any) string {
		tok, err := auth.SignJWT(c, key)
		require.NoError(t, err)
		return tok
	}
	valid := sign(good, hmacKey)

	for _, key := range []any{hmacKey, priv} {
		p, err := v.Verify(sign(good, key))
		require.NoError(t, err)
		assert.Equal(t, auth.Principal{Role: events.RoleMerchant, ID: "m-1"}, p)
	}

	parts := strings.Split(valid, ".")
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`))
	rs256Header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`))
	critHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","crit":["b64"]}`))
	tampered := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"m-2","role":"merchant","exp":` + "9999999999" + `}`))

	tests := []struct {
		name  string
		token string
	}{
		{"wrong hmac key", sign(good, []byte("another key, just as long as it is"))},
		{"wrong ed25519 key", sign(good, otherPriv)},
		{"alg none", noneHeader + "." + parts[1] + "."},
		{"alg not configured", rs256Header + "." + parts[1] + "." + parts[2]},
		{"critical extension", critHeader + "." + parts[1] + "." + parts[2]},
		{"tampered claims", parts[0] + "." + tampered + "." + parts[2]},
		{"two parts", parts[0] + "." + parts[1]},
		{"bad base64", parts[0] + ".!!!." + parts[2]},
		{"expired", sign(with(func(c *auth.Claims) { c.ExpiresAt = unix(now.Add(-time.Second)) }), hmacKey)},
		{"no exp", sign(with(func(c *auth.Claims) { c.ExpiresAt = nil }), hmacKey)},
		{"not yet valid", sign(with(func(c *auth.Claims) { c.NotBefore = unix(now.Add(time.Minute)) }), hmacKey)},
		{"too long lived", sign(with(func(c *auth.Claims) { c.ExpiresAt = unix(now.Add(48 * time.Hour)) }), hmacKey)},
		{"wrong issuer", sign(with(func(c *auth.Claims) { c.Issuer = "evil" }), hmacKey)},
		{"wrong audience", sign(with(func(c *auth.Claims) { c.Audience = json.RawMessage(`"other"`) }), hmacKey)},
		{"system role", sign(with(func(c *auth.Claims) { c.Role = events.RoleSystem }), priv)},
		{"unknown role", sign(with(func(c *auth.Claims) { c.Role = "king" }), hmacKey)},
		{"no subject", sign(with(func(c *auth.Claims) { c.Subject = "" }), hmacKey)},
		{"oversize", strings.Repeat("a", 9<<10) + ".b.c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(tc.token)
			require.Error(t, err)
			_, err = v.Authenticate(ctx, tc.token)
			assert.ErrorIs(t, err, auth.ErrUnauthenticated)
		})
	}
	_, err = v.Verify(sign(with(func(c *auth.Claims) { c.Role = events.RoleSystem }), hmacKey))
	assert.ErrorIs(t, err, auth.ErrSystemRole)

	// A verifier with only an Ed25519 key must not accept HS256 signed with
	// the public key's bytes (the classic algorithm-confusion attack).
	edOnly := &auth.JWTVerifier{Ed25519Key: pub, Now: v.Now}
	_, err = edOnly.Verify(sign(good, []byte(pub)))
	assert.Error(t, err)
}
