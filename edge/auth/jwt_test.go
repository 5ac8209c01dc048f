package auth_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/events"
)

func unix(t time.Time) *int64 { u := t.Unix(); return &u }

var jwtNow = time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)

// testKeys are one private key per accepted algorithm and the key set
// that verifies them: HS256 and EdDSA keys both with and without a kid,
// RS256 and ES256 with one.
type testKeys struct {
	hmac    []byte
	ed      ed25519.PrivateKey
	rsa     *rsa.PrivateKey
	ec      *ecdsa.PrivateKey
	otherEd ed25519.PrivateKey
	set     *auth.KeySet
}

var sharedKeys = func() *testKeys {
	k := &testKeys{hmac: []byte("0123456789abcdef0123456789abcdef")}
	var err error
	_, k.ed, _ = ed25519.GenerateKey(rand.Reader)
	_, k.otherEd, _ = ed25519.GenerateKey(rand.Reader)
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	keys := []auth.Key{
		must(auth.HS256Key("", k.hmac)),
		must(auth.HS256Key("hs-1", k.hmac)),
		must(auth.EdDSAKey("", k.ed.Public().(ed25519.PublicKey))),
		must(auth.EdDSAKey("ed-1", k.ed.Public().(ed25519.PublicKey))),
		must(auth.RS256Key("rsa-1", &k.rsa.PublicKey)),
		must(auth.ES256Key("ec-1", &k.ec.PublicKey)),
	}
	k.set = must(auth.NewKeySet(keys...))
	return k
}()

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func verifier() *auth.JWTVerifier {
	return &auth.JWTVerifier{Keys: sharedKeys.set, Issuer: "idp", Audience: "disputes", Leeway: 30 * time.Second,
		MaxLifetime: 24 * time.Hour, Now: func() time.Time { return jwtNow }}
}

func goodClaims() auth.Claims {
	return auth.Claims{Subject: "m-1", Role: events.RoleMerchant, Issuer: "idp", Audience: json.RawMessage(`["other","disputes"]`),
		ExpiresAt: unix(jwtNow.Add(time.Hour)), IssuedAt: unix(jwtNow)}
}

func sign(t *testing.T, c auth.Claims, kid string, key any) string {
	t.Helper()
	tok, err := auth.SignJWTWithKeyID(c, kid, key)
	require.NoError(t, err)
	return tok
}

// rawHS256 signs any header and claims JSON text with the HS256 test key,
// so a test can send what no well-behaved signer would (duplicate or
// case-variant claim names, odd headers).
func rawHS256(header, claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	signed := enc([]byte(header)) + "." + enc([]byte(claims))
	mac := hmac.New(sha256.New, sharedKeys.hmac)
	mac.Write([]byte(signed))
	return signed + "." + enc(mac.Sum(nil))
}

func TestJWTAcceptsEachAlgorithmWithItsKey(t *testing.T) {
	t.Parallel()
	k := sharedKeys
	tests := []struct {
		name string
		kid  string
		key  any
	}{
		{"HS256 without kid", "", k.hmac},
		{"HS256 by kid", "hs-1", k.hmac},
		{"EdDSA without kid", "", k.ed},
		{"EdDSA by kid", "ed-1", k.ed},
		{"RS256 by kid", "rsa-1", k.rsa},
		{"ES256 by kid", "ec-1", k.ec},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := verifier().Verify(sign(t, goodClaims(), tc.kid, tc.key))
			require.NoError(t, err)
			assert.Equal(t, auth.Principal{Role: events.RoleMerchant, ID: "m-1"}, p)
		})
	}
}

// TestJWTRefuses holds every refusal of the verifier, including the JWT
// findings of issue #11 item 7: exp in the year 9999, iat in the future
// and claim names matched case-insensitively.
func TestJWTRefuses(t *testing.T) {
	t.Parallel()
	k := sharedKeys
	with := func(f func(*auth.Claims)) auth.Claims { c := goodClaims(); f(&c); return c }
	valid := sign(t, goodClaims(), "", k.hmac)
	parts := strings.Split(valid, ".")
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	rsaPub := k.rsa.PublicKey
	year9999 := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

	tests := []struct {
		name  string
		token string
	}{
		// Signatures and algorithms.
		{"wrong hmac key", sign(t, goodClaims(), "", []byte("another key, just as long as it is"))},
		{"wrong ed25519 key", sign(t, goodClaims(), "", k.otherEd)},
		{"alg none", enc(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + "."},
		{"alg none with a signature", enc(`{"alg":"none"}`) + "." + parts[1] + "." + parts[2]},
		{"alg HS384 not accepted", enc(`{"alg":"HS384"}`) + "." + parts[1] + "." + parts[2]},
		{"alg PS256 not accepted", enc(`{"alg":"PS256","kid":"rsa-1"}`) + "." + parts[1] + "." + parts[2]},
		{"kid of an RS256 key on an HS256 token", sign(t, goodClaims(), "rsa-1", k.hmac)},
		{"kid of an HS256 key on an EdDSA token", sign(t, goodClaims(), "hs-1", k.ed)},
		// Algorithm confusion: HS256 keyed with the RSA public key's bytes.
		{"HS256 with the RSA modulus as secret", sign(t, goodClaims(), "rsa-1", rsaPub.N.Bytes())},
		{"RS256 without kid", sign(t, goodClaims(), "", k.rsa)},
		{"unknown kid", sign(t, goodClaims(), "gone-1", k.hmac)},
		{"empty kid", rawHS256(`{"alg":"HS256","kid":""}`, `{"sub":"m-1","role":"merchant","iss":"idp","aud":"disputes","exp":`+itoa(jwtNow.Add(time.Hour))+`}`)},
		{"numeric kid", rawHS256(`{"alg":"HS256","kid":1}`, `{"sub":"m-1","role":"merchant","iss":"idp","aud":"disputes","exp":`+itoa(jwtNow.Add(time.Hour))+`}`)},
		{"critical extension", rawHS256(`{"alg":"HS256","crit":["b64"],"b64":false}`, `{"sub":"m-1","role":"merchant","iss":"idp","aud":"disputes","exp":`+itoa(jwtNow.Add(time.Hour))+`}`)},
		{"tampered claims", parts[0] + "." + enc(`{"sub":"m-2","role":"merchant","iss":"idp","aud":"disputes","exp":`+itoa(jwtNow.Add(time.Hour))+`}`) + "." + parts[2]},
		{"two parts", parts[0] + "." + parts[1]},
		{"four parts", valid + ".x"},
		{"bad base64", parts[0] + ".!!!." + parts[2]},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2]},
		{"oversize", strings.Repeat("a", 9<<10) + ".b.c"},
		// Time.
		{"expired", sign(t, with(func(c *auth.Claims) { c.ExpiresAt = unix(jwtNow.Add(-time.Minute)) }), "", k.hmac)},
		{"no exp", sign(t, with(func(c *auth.Claims) { c.ExpiresAt = nil }), "", k.hmac)},
		{"exp in the year 9999", sign(t, with(func(c *auth.Claims) { c.ExpiresAt = unix(year9999) }), "", k.hmac)},
		{"exp in the year 9999 without iat", sign(t, with(func(c *auth.Claims) { c.ExpiresAt, c.IssuedAt = unix(year9999), nil }), "", k.hmac)},
		{"exp beyond any date", rawHS256(`{"alg":"HS256"}`, `{"sub":"m-1","role":"merchant","iss":"idp","aud":"disputes","exp":1e300}`)},
		{"exp negative", rawHS256(`{"alg":"HS256"}`, `{"sub":"m-1","role":"merchant","iss":"idp","aud":"disputes","exp":-1}`)},
		{"exp a string", rawHS256(`{"alg":"HS256"}`, `{"sub":"m-1","role":"merchant","iss":"idp","aud":"disputes","exp":"`+itoa(jwtNow.Add(time.Hour))+`"}`)},
		{"lifetime exp-iat over the limit", sign(t, with(func(c *auth.Claims) {
			c.IssuedAt, c.ExpiresAt = unix(jwtNow.Add(-24*time.Hour)), unix(jwtNow.Add(time.Minute+time.Second))
		}), "", k.hmac)},
		{"exp more than the limit from now", sign(t, with(func(c *auth.Claims) { c.IssuedAt, c.ExpiresAt = nil, unix(jwtNow.Add(25*time.Hour)) }), "", k.hmac)},
		{"iat in the future", sign(t, with(func(c *auth.Claims) { c.IssuedAt = unix(jwtNow.Add(time.Minute)) }), "", k.hmac)},
		{"iat a year ahead", sign(t, with(func(c *auth.Claims) { c.IssuedAt = unix(jwtNow.Add(365 * 24 * time.Hour)) }), "", k.hmac)},
		{"nbf in the future", sign(t, with(func(c *auth.Claims) { c.NotBefore = unix(jwtNow.Add(time.Minute)) }), "", k.hmac)},
		// Issuer and audience.
		{"wrong issuer", sign(t, with(func(c *auth.Claims) { c.Issuer = "evil" }), "", k.hmac)},
		{"no issuer", sign(t, with(func(c *auth.Claims) { c.Issuer = "" }), "", k.hmac)},
		{"wrong audience", sign(t, with(func(c *auth.Claims) { c.Audience = json.RawMessage(`"other"`) }), "", k.hmac)},
		{"no audience", sign(t, with(func(c *auth.Claims) { c.Audience = nil }), "", k.hmac)},
		{"audience of the wrong type", rawHS256(`{"alg":"HS256"}`, `{"sub":"m-1","role":"merchant","iss":"idp","aud":[1],"exp":`+itoa(jwtNow.Add(time.Hour))+`}`)},
		// Claim names are exact (issue #11 item 7).
		{"ROLE beside role", rawHS256(`{"alg":"HS256"}`, `{"sub":"b-1","role":"buyer","ROLE":"auditor","iss":"idp","aud":"disputes","exp":`+itoa(jwtNow.Add(time.Hour))+`}`)},
		{"Role alone", rawHS256(`{"alg":"HS256"}`, `{"sub":"b-1","Role":"auditor","iss":"idp","aud":"disputes","exp":`+itoa(jwtNow.Add(time.Hour))+`}`)},
		{"SUB beside sub", rawHS256(`{"alg":"HS256"}`, `{"sub":"b-1","SUB":"b-2","role":"buyer","iss":"idp","aud":"disputes","exp":`+itoa(jwtNow.Add(time.Hour))+`}`)},
		{"long s folds to sub", rawHS256(`{"alg":"HS256"}`, `{"sub":"b-1","ſub":"b-2","role":"buyer","iss":"idp","aud":"disputes","exp":`+itoa(jwtNow.Add(time.Hour))+`}`)},
		{"EXP beside exp", rawHS256(`{"alg":"HS256"}`, `{"sub":"b-1","role":"buyer","iss":"idp","aud":"disputes","exp":`+itoa(jwtNow.Add(time.Hour))+`,"EXP":9999999999}`)},
		{"role twice", rawHS256(`{"alg":"HS256"}`, `{"sub":"b-1","role":"buyer","role":"auditor","iss":"idp","aud":"disputes","exp":`+itoa(jwtNow.Add(time.Hour))+`}`)},
		{"claims not an object", rawHS256(`{"alg":"HS256"}`, `["sub"]`)},
		// Principals.
		{"system role", sign(t, with(func(c *auth.Claims) { c.Role = events.RoleSystem }), "ed-1", k.ed)},
		{"unknown role", sign(t, with(func(c *auth.Claims) { c.Role = "king" }), "", k.hmac)},
		{"no subject", sign(t, with(func(c *auth.Claims) { c.Subject = "" }), "", k.hmac)},
		{"subject a number", rawHS256(`{"alg":"HS256"}`, `{"sub":7,"role":"buyer","iss":"idp","aud":"disputes","exp":`+itoa(jwtNow.Add(time.Hour))+`}`)},
	}
	// The findings' rows must fail for their own reason, not another.
	reasons := map[string]string{
		"alg none":                              "signing method none is invalid",
		"kid of an RS256 key on an HS256 token": "verifies RS256, the token says HS256",
		"HS256 with the RSA modulus as secret":  "verifies RS256, the token says HS256",
		"exp in the year 9999":                  "lifetime exp − iat",
		"exp in the year 9999 without iat":      "more than 24h0m0s from now",
		"iat in the future":                     "token used before issued",
		"iat a year ahead":                      "token used before issued",
		"nbf in the future":                     "token is not valid yet",
		"ROLE beside role":                      `claim "ROLE" is not "role": claim names are case-sensitive`,
		"long s folds to sub":                   "case-sensitive",
		"role twice":                            `claim "role" is given twice`,
		"system role":                           auth.ErrSystemRole.Error(),
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := verifier().Verify(tc.token)
			require.Error(t, err)
			if why, ok := reasons[tc.name]; ok {
				assert.ErrorContains(t, err, why, "refused for the right reason")
			}
			_, err = verifier().Authenticate(ctx, tc.token)
			assert.ErrorIs(t, err, auth.ErrUnauthenticated)
		})
	}
}

func itoa(t time.Time) string { return strings.TrimSpace(string(must(json.Marshal(t.Unix())))) }

// TestJWTTimeWithinLeeway shows the edges of the time rules: skew up to
// the leeway is tolerated, a lifetime of exactly the limit is accepted.
func TestJWTTimeWithinLeeway(t *testing.T) {
	t.Parallel()
	k := sharedKeys
	with := func(f func(*auth.Claims)) auth.Claims { c := goodClaims(); f(&c); return c }
	tests := []struct {
		name   string
		claims auth.Claims
	}{
		{"iat 20s ahead", with(func(c *auth.Claims) { c.IssuedAt = unix(jwtNow.Add(20 * time.Second)) })},
		{"nbf 20s ahead", with(func(c *auth.Claims) { c.NotBefore = unix(jwtNow.Add(20 * time.Second)) })},
		{"expired 20s ago", with(func(c *auth.Claims) { c.ExpiresAt = unix(jwtNow.Add(-20 * time.Second)) })},
		{"lifetime exactly 24h", with(func(c *auth.Claims) { c.ExpiresAt = unix(jwtNow.Add(24 * time.Hour)) })},
		{"no iat, exp 24h ahead", with(func(c *auth.Claims) { c.IssuedAt, c.ExpiresAt = nil, unix(jwtNow.Add(24*time.Hour)) })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifier().Verify(sign(t, tc.claims, "", k.hmac))
			assert.NoError(t, err)
		})
	}
	// A fractional NumericDate is read, rounded the safe way.
	_, err := verifier().Verify(rawHS256(`{"alg":"HS256"}`, `{"sub":"m-1","role":"merchant","iss":"idp","aud":"disputes","exp":`+itoa(jwtNow.Add(time.Hour))+`.5}`))
	assert.NoError(t, err)
}

func TestJWTSystemRoleIsNeverGranted(t *testing.T) {
	t.Parallel()
	c := goodClaims()
	c.Role = events.RoleSystem
	for _, key := range []struct {
		kid string
		key any
	}{{"", sharedKeys.hmac}, {"ed-1", sharedKeys.ed}, {"rsa-1", sharedKeys.rsa}, {"ec-1", sharedKeys.ec}} {
		_, err := verifier().Verify(sign(t, c, key.kid, key.key))
		assert.ErrorIs(t, err, auth.ErrSystemRole)
	}
}

// TestJWTCaseVariantClaimsNeverPromote checks the decision for issue #11
// item 7: a token spelling a claim name in another case is refused whole,
// so {"role":"buyer","ROLE":"auditor"} is neither an auditor nor a buyer.
func TestJWTCaseVariantClaimsNeverPromote(t *testing.T) {
	t.Parallel()
	exp := itoa(jwtNow.Add(time.Hour))
	_, err := verifier().Verify(rawHS256(`{"alg":"HS256"}`, `{"sub":"b-1","role":"buyer","iss":"idp","aud":"disputes","exp":`+exp+`}`))
	require.NoError(t, err, "the same token without the variant is good")
	p, err := verifier().Verify(rawHS256(`{"alg":"HS256"}`, `{"sub":"b-1","role":"buyer","ROLE":"auditor","iss":"idp","aud":"disputes","exp":`+exp+`}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "case-sensitive")
	assert.Equal(t, auth.Principal{}, p)
	// Claims this package does not read may be spelled any way.
	_, err = verifier().Verify(rawHS256(`{"alg":"HS256","KID2":"x"}`, `{"sub":"b-1","role":"buyer","iss":"idp","aud":"disputes","exp":`+exp+`,"Name":"x","name":"y"}`))
	assert.NoError(t, err)
}

func TestJWTVerifierWithoutKeysOrWithBadLeeway(t *testing.T) {
	t.Parallel()
	tok := sign(t, goodClaims(), "", sharedKeys.hmac)
	_, err := (&auth.JWTVerifier{}).Verify(tok)
	assert.Error(t, err)
	v := verifier()
	v.Leeway = time.Hour
	_, err = v.Verify(tok)
	assert.Error(t, err)
	empty := must(auth.NewKeySet())
	_, err = (&auth.JWTVerifier{Keys: empty, Now: verifier().Now}).Verify(tok)
	assert.Error(t, err)
}

// TestJWTDefaultMaxLifetime: without MaxLifetime the 24 h default holds.
func TestJWTDefaultMaxLifetime(t *testing.T) {
	t.Parallel()
	v := verifier()
	v.MaxLifetime = 0
	c := goodClaims()
	c.ExpiresAt = unix(jwtNow.Add(auth.DefaultMaxLifetime + time.Minute))
	_, err := v.Verify(sign(t, c, "", sharedKeys.hmac))
	assert.Error(t, err)
}
