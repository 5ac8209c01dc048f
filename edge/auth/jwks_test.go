package auth_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/edge/auth"
)

var b64 = base64.RawURLEncoding.EncodeToString

// jwksOf writes the public JWKs of the shared test keys, each with a kid.
func jwksOf(k *testKeys) map[string]map[string]any {
	ecPub := k.ec.PublicKey
	ecBytes, err := ecPub.Bytes()
	if err != nil {
		panic(err)
	}
	return map[string]map[string]any{
		"hs-1":  {"kty": "oct", "kid": "hs-1", "alg": "HS256", "k": b64(k.hmac)},
		"rsa-1": {"kty": "RSA", "kid": "rsa-1", "use": "sig", "n": b64(k.rsa.N.Bytes()), "e": b64(big.NewInt(int64(k.rsa.E)).Bytes())},
		"ec-1":  {"kty": "EC", "kid": "ec-1", "crv": "P-256", "x": b64(ecBytes[1:33]), "y": b64(ecBytes[33:])},
		"ed-1":  {"kty": "OKP", "kid": "ed-1", "crv": "Ed25519", "alg": "EdDSA", "x": b64(k.ed.Public().(ed25519.PublicKey))},
	}
}

func jwksJSON(keys ...map[string]any) []byte {
	return must(json.Marshal(map[string]any{"keys": keys}))
}

func TestJWKSVerifiesEveryAlgorithmByKid(t *testing.T) {
	t.Parallel()
	k := sharedKeys
	jwks := jwksOf(k)
	keys, err := auth.ParseJWKS(jwksJSON(jwks["hs-1"], jwks["rsa-1"], jwks["ec-1"], jwks["ed-1"],
		map[string]any{"kty": "RSA", "kid": "enc-1", "use": "enc", "n": "AQAB", "e": "AQAB"}))
	require.NoError(t, err)
	assert.Len(t, keys, 4, "an encryption key is skipped")
	set := must(auth.NewKeySet(keys...))
	v := verifier()
	v.Keys = set
	for kid, key := range map[string]any{"hs-1": k.hmac, "rsa-1": k.rsa, "ec-1": k.ec, "ed-1": k.ed} {
		_, err := v.Verify(sign(t, goodClaims(), kid, key))
		assert.NoError(t, err, kid)
	}
	_, err = v.Verify(sign(t, goodClaims(), "", k.hmac))
	assert.ErrorContains(t, err, "without a kid", "a JWKS key is chosen by kid only")
	_, err = v.Verify(sign(t, goodClaims(), "ec-1", k.rsa))
	assert.ErrorContains(t, err, "verifies ES256")
}

func TestParseJWKSRejects(t *testing.T) {
	t.Parallel()
	jwks := jwksOf(sharedKeys)
	with := func(kid string, f func(map[string]any)) map[string]any {
		c := map[string]any{}
		for k, v := range jwks[kid] {
			c[k] = v
		}
		f(c)
		return c
	}
	small := must(rsa.GenerateKey(rand.Reader, 1024))
	p384 := must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader))
	tests := []struct {
		name string
		file []byte
		why  string
	}{
		{"not json", []byte(`{"keys":`), "jwks"},
		{"no keys member", []byte(`{}`), `no "keys"`},
		{"no kid", jwksJSON(with("hs-1", func(m map[string]any) { delete(m, "kid") })), "kid"},
		{"duplicate kid", jwksJSON(jwks["hs-1"], with("ed-1", func(m map[string]any) { m["kid"] = "hs-1" })), "listed twice"},
		{"alg of another family", jwksJSON(with("rsa-1", func(m map[string]any) { m["alg"] = "HS256" })), "not accepted"},
		{"alg PS256", jwksJSON(with("rsa-1", func(m map[string]any) { m["alg"] = "PS256" })), "not accepted"},
		{"alg none", jwksJSON(with("hs-1", func(m map[string]any) { m["alg"] = "none" })), "not accepted"},
		{"short secret", jwksJSON(with("hs-1", func(m map[string]any) { m["k"] = b64([]byte("short")) })), "at least 32"},
		{"short rsa", jwksJSON(with("rsa-1", func(m map[string]any) { m["n"] = b64(small.N.Bytes()) })), "at least 2048"},
		{"even exponent", jwksJSON(with("rsa-1", func(m map[string]any) { m["e"] = b64([]byte{2}) })), "exponent"},
		{"private rsa", jwksJSON(with("rsa-1", func(m map[string]any) { m["d"] = b64([]byte("secret")) })), "private key"},
		{"P-384", jwksJSON(with("ec-1", func(m map[string]any) {
			b := must(p384.PublicKey.Bytes())
			m["crv"], m["x"], m["y"] = "P-384", b64(b[1:49]), b64(b[49:])
		})), "P-256"},
		{"point off the curve", jwksJSON(with("ec-1", func(m map[string]any) { m["y"] = b64(make([]byte, 32)) })), "not a P-256 point"},
		{"X25519", jwksJSON(with("ed-1", func(m map[string]any) { m["crv"] = "X25519" })), "Ed25519"},
		{"short ed25519", jwksJSON(with("ed-1", func(m map[string]any) { m["x"] = b64(make([]byte, 31)) })), "bytes"},
		{"padded base64", jwksJSON(with("hs-1", func(m map[string]any) { m["k"] = base64.URLEncoding.EncodeToString(sharedKeys.hmac) })), "base64url"},
		{"unknown kty", jwksJSON(map[string]any{"kty": "DSA", "kid": "d"}), "not accepted"},
		{"unknown use", jwksJSON(with("hs-1", func(m map[string]any) { m["use"] = "both" })), "use"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := auth.ParseJWKS(tc.file)
			require.Error(t, err)
			assert.ErrorContains(t, err, tc.why)
		})
	}
}

// TestHMACSecretFromFile states the secret file's byte rules: the bytes
// exactly, less one final "\n" or "\r\n"; nothing else is trimmed.
func TestHMACSecretFromFile(t *testing.T) {
	t.Parallel()
	s32 := strings.Repeat("s", 32)
	tests := []struct {
		file   string
		secret string
		ok     bool
	}{
		{s32, s32, true},
		{s32 + "\n", s32, true},
		{s32 + "\r\n", s32, true},
		{s32 + "\n\n", s32 + "\n", true},
		{" " + s32 + " \n", " " + s32 + " ", true},
		{s32 + "\t", s32 + "\t", true},
		{s32 + "\r", s32 + "\r", true},
		{strings.Repeat("s", 31) + "\n", "", false},
		{strings.Repeat("s", 31) + "  ", strings.Repeat("s", 31) + "  ", true},
		{"", "", false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q", tc.file), func(t *testing.T) {
			got, err := auth.HMACSecretFromFile([]byte(tc.file))
			if !tc.ok {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.secret, string(got))
		})
	}
}

func TestKeyFilesParse(t *testing.T) {
	t.Parallel()
	k := sharedKeys
	der := must(x509.MarshalPKIXPublicKey(k.ed.Public()))
	edPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	jwks := jwksOf(k)
	files := auth.KeyFiles{JWKS: "jwks.json", HS256Secret: "hs.secret", Ed25519PEM: "ed.pem"}
	assert.Equal(t, []string{"jwks.json", "hs.secret", "ed.pem"}, files.Paths())
	set, err := files.Parse([][]byte{jwksJSON(jwks["rsa-1"]), append(k.hmac, '\n'), edPEM})
	require.NoError(t, err)
	assert.Equal(t, 3, set.Len())
	v := verifier()
	v.Keys = set
	for _, tok := range []string{sign(t, goodClaims(), "rsa-1", k.rsa), sign(t, goodClaims(), "", k.hmac), sign(t, goodClaims(), "", k.ed)} {
		_, err := v.Verify(tok)
		assert.NoError(t, err)
	}
	_, err = files.Parse([][]byte{jwksJSON(jwks["rsa-1"]), []byte("short"), edPEM})
	assert.ErrorContains(t, err, "hs.secret")
	_, err = files.Parse([][]byte{jwksJSON(jwks["rsa-1"]), k.hmac, []byte("not pem")})
	assert.ErrorContains(t, err, "ed.pem")
	_, err = files.Parse([][]byte{jwksJSON(jwks["rsa-1"])})
	assert.Error(t, err)
}

func TestNewKeySetRefusesAmbiguity(t *testing.T) {
	t.Parallel()
	a := must(auth.HS256Key("", sharedKeys.hmac))
	b := must(auth.HS256Key("", []byte(strings.Repeat("x", 32))))
	_, err := auth.NewKeySet(a, b)
	assert.ErrorContains(t, err, "without an id")
	_, err = auth.NewKeySet(auth.Key{ID: "forged", Alg: auth.AlgHS256})
	assert.Error(t, err, "a key must come from a constructor")
}
