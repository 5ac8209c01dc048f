package seal

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeyID(t *testing.T) {
	t.Parallel()
	pub, _ := testKey(t, "a")
	sum := sha256.Sum256(pub)
	id := KeyID(pub)
	assert.Equal(t, "ed25519:"+hex.EncodeToString(sum[:16]), id)
	assert.Regexp(t, regexp.MustCompile(`^ed25519:[0-9a-f]{32}$`), id)
	other, _ := testKey(t, "b")
	assert.NotEqual(t, id, KeyID(other))
}

func TestGenerateKeyIsDeterministicInItsReader(t *testing.T) {
	t.Parallel()
	entropy := bytes.Repeat([]byte{7}, ed25519.SeedSize)
	pub1, priv1, err := GenerateKey(bytes.NewReader(entropy))
	require.NoError(t, err)
	pub2, _, err := GenerateKey(bytes.NewReader(entropy))
	require.NoError(t, err)
	assert.Equal(t, pub1, pub2)
	assert.Equal(t, ed25519.NewKeyFromSeed(entropy), priv1)

	_, _, err = GenerateKey(bytes.NewReader(entropy[:5]))
	assert.Error(t, err, "too little entropy")

	pub3, _, err := GenerateKey(rand.Reader)
	require.NoError(t, err)
	assert.NotEqual(t, pub1, pub3)
}

func TestPrivateKeyPEMRoundTrip(t *testing.T) {
	t.Parallel()
	pub, priv := testKey(t, "a")
	data, err := MarshalPrivateKeyPEM(priv)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(data, []byte("-----BEGIN PRIVATE KEY-----\n")))
	back, err := ParsePrivateKeyPEM(data)
	require.NoError(t, err)
	assert.Equal(t, priv, back)

	s, err := Sign(back, 3, [32]byte{1}, testSealedAt)
	require.NoError(t, err)
	assert.NoError(t, s.Verify(pub), "a reloaded key signs verifiable seals")
}

func TestPublicKeyPEMRoundTrip(t *testing.T) {
	t.Parallel()
	pub, _ := testKey(t, "a")
	data, err := MarshalPublicKeyPEM(pub)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(data, []byte("-----BEGIN PUBLIC KEY-----\n")))
	back, err := ParsePublicKeyPEM(data)
	require.NoError(t, err)
	assert.Equal(t, pub, back)
}

func TestSeedRoundTrip(t *testing.T) {
	t.Parallel()
	_, priv := testKey(t, "a")
	value := EncodeSeed(priv)
	back, err := ParsePrivateKeySeed(" " + value + "\n")
	require.NoError(t, err)
	assert.Equal(t, priv, back)
}

func TestParsePrivateKeySeedRejects(t *testing.T) {
	t.Parallel()
	secret := "c2VjcmV0LXNlZWQtdGhhdC1tdXN0LW5vdC1sZWFr!!"
	tests := map[string]string{
		"empty":         "",
		"not base64":    secret,
		"short seed":    base64.StdEncoding.EncodeToString(make([]byte, 31)),
		"long seed":     base64.StdEncoding.EncodeToString(make([]byte, 64)),
		"url alphabet":  base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)),
		"missing equal": base64.RawStdEncoding.EncodeToString(make([]byte, 32)),
	}
	for name, value := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := ParsePrivateKeySeed(value)
			require.ErrorIs(t, err, ErrInvalidKey)
			if value != "" {
				assert.NotContains(t, err.Error(), value, "errors never quote the secret")
			}
		})
	}
}

func TestParseKeyPEMRejects(t *testing.T) {
	t.Parallel()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ecPriv, err := x509.MarshalPKCS8PrivateKey(ec)
	require.NoError(t, err)
	ecPub, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	require.NoError(t, err)
	pubA, privA := testKey(t, "a")
	privPEM, err := MarshalPrivateKeyPEM(privA)
	require.NoError(t, err)
	pubPEM, err := MarshalPublicKeyPEM(pubA)
	require.NoError(t, err)
	block := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }

	privTests := map[string][]byte{
		"no PEM":          []byte("not a key"),
		"public key PEM":  pubPEM,
		"ECDSA key":       block("PRIVATE KEY", ecPriv),
		"garbage DER":     block("PRIVATE KEY", []byte{1, 2, 3}),
		"legacy EC block": block("EC PRIVATE KEY", ecPriv),
	}
	for name, data := range privTests {
		t.Run("private/"+name, func(t *testing.T) {
			t.Parallel()
			_, err := ParsePrivateKeyPEM(data)
			assert.ErrorIs(t, err, ErrInvalidKey)
		})
	}
	pubTests := map[string][]byte{
		"no PEM":          nil,
		"private key PEM": privPEM,
		"ECDSA key":       block("PUBLIC KEY", ecPub),
		"garbage DER":     block("PUBLIC KEY", []byte{1, 2, 3}),
	}
	for name, data := range pubTests {
		t.Run("public/"+name, func(t *testing.T) {
			t.Parallel()
			_, err := ParsePublicKeyPEM(data)
			assert.ErrorIs(t, err, ErrInvalidKey)
		})
	}

	_, err = MarshalPrivateKeyPEM(privA[:10])
	assert.ErrorIs(t, err, ErrInvalidKey)
	_, err = MarshalPublicKeyPEM(pubA[:10])
	assert.ErrorIs(t, err, ErrInvalidKey)
}
