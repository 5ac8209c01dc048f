package seal

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit/merkle"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testKey derives a fixed key from name, so that golden files are stable
// (Ed25519 signatures are deterministic).
func testKey(t testing.TB, name string) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	seed := sha256.Sum256([]byte("seal test key " + name))
	priv := ed25519.NewKeyFromSeed(seed[:])
	return priv.Public().(ed25519.PublicKey), priv
}

// testSealedAt is in UTC+8 on purpose: seals must render it in UTC.
var testSealedAt = time.Date(2025, 3, 14, 17, 26, 53, 589793238, time.FixedZone("CST", 8*3600))

func testSeal(t testing.TB, priv ed25519.PrivateKey) Seal {
	t.Helper()
	s, err := Sign(priv, 1_000_000, merkle.LeafHash([]byte("root")), testSealedAt)
	require.NoError(t, err)
	return s
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./seal -update to create it")
	assert.Equal(t, string(want), string(got), "golden file %s", path)
}

func TestSignVerify(t *testing.T) {
	t.Parallel()
	pub, priv := testKey(t, "a")
	s := testSeal(t, priv)
	require.NoError(t, s.Verify(pub))
	assert.Equal(t, KeyID(pub), s.KeyID)
	assert.Equal(t, time.UTC, s.SealedAt.Location())
	assert.True(t, testSealedAt.Equal(s.SealedAt), "the instant is kept")
	assert.Len(t, s.Signature, ed25519.SignatureSize)
}

func TestGoldenJSONAndSigningInput(t *testing.T) {
	t.Parallel()
	pub, priv := testKey(t, "a")
	s := testSeal(t, priv)

	golden(t, "signing_input.txt", SigningInput(s.Size, s.Root, s.SealedAt, s.KeyID))

	js, err := json.MarshalIndent(s, "", "  ")
	require.NoError(t, err)
	golden(t, "seal.json", append(js, '\n'))

	// The golden file is what an auditor receives: it must decode to the
	// same seal and verify.
	data, err := os.ReadFile(filepath.Join("testdata", "seal.json"))
	require.NoError(t, err)
	var back Seal
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, s, back)
	assert.NoError(t, back.Verify(pub))
}

func TestVerifyAcceptsTheSameInstantInAnotherZone(t *testing.T) {
	t.Parallel()
	pub, priv := testKey(t, "a")
	s := testSeal(t, priv)
	js, err := json.Marshal(s)
	require.NoError(t, err)
	js = bytes.Replace(js, []byte(`"2025-03-14T09:26:53.589793238Z"`), []byte(`"2025-03-14T11:26:53.589793238+02:00"`), 1)
	var moved Seal
	require.NoError(t, json.Unmarshal(js, &moved))
	require.NotEqual(t, s.SealedAt.Location().String(), moved.SealedAt.Location().String(), "precondition: the zone changed")
	assert.NoError(t, moved.Verify(pub))
}

func TestVerifyWithAnotherKey(t *testing.T) {
	t.Parallel()
	pubA, _ := testKey(t, "a")
	_, privB := testKey(t, "b")
	s := testSeal(t, privB)

	err := s.Verify(pubA)
	var mismatch *KeyMismatchError
	require.ErrorAs(t, err, &mismatch)
	assert.ErrorIs(t, err, ErrKeyMismatch)
	assert.Equal(t, s.KeyID, mismatch.SealKeyID)
	assert.Equal(t, KeyID(pubA), mismatch.VerifyingKeyID)
	assert.Contains(t, err.Error(), "seal signed by key "+s.KeyID)

	// Re-signed by B but relabelled with A's KeyID: the signature fails.
	s.KeyID = KeyID(pubA)
	assert.ErrorIs(t, s.Verify(pubA), ErrBadSignature)
}

func TestVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	pub, priv := testKey(t, "a")
	otherPub, _ := testKey(t, "other")
	tests := []struct {
		name   string
		tamper func(*Seal)
		want   error
	}{
		{"size", func(s *Seal) { s.Size++ }, ErrBadSignature},
		{"size to zero", func(s *Seal) { s.Size = 0 }, ErrBadSignature},
		{"root", func(s *Seal) { s.Root[0] ^= 1 }, ErrBadSignature},
		{"time by a nanosecond", func(s *Seal) { s.SealedAt = s.SealedAt.Add(time.Nanosecond) }, ErrBadSignature},
		{"time zero", func(s *Seal) { s.SealedAt = time.Time{} }, ErrMalformedSeal},
		{"key id", func(s *Seal) { s.KeyID = KeyID(otherPub) }, ErrKeyMismatch},
		{"signature bit", func(s *Seal) { s.Signature[10] ^= 0x80 }, ErrBadSignature},
		{"signature truncated", func(s *Seal) { s.Signature = s.Signature[:63] }, ErrBadSignature},
		{"signature missing", func(s *Seal) { s.Signature = nil }, ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := testSeal(t, priv)
			require.NoError(t, s.Verify(pub), "precondition: the untouched seal verifies")
			tt.tamper(&s)
			assert.ErrorIs(t, s.Verify(pub), tt.want)
		})
	}
}

func TestSignAndVerifyRejectBadInput(t *testing.T) {
	t.Parallel()
	pub, priv := testKey(t, "a")
	root := merkle.EmptyRoot()

	_, err := Sign(priv[:32], 1, root, testSealedAt)
	assert.ErrorIs(t, err, ErrInvalidKey)
	_, err = Sign(priv, 1, root, time.Time{})
	assert.ErrorIs(t, err, ErrMalformedSeal)
	_, err = Sign(priv, 1, root, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
	assert.ErrorIs(t, err, ErrMalformedSeal)

	s, err := Sign(priv, 0, root, testSealedAt)
	require.NoError(t, err)
	assert.ErrorIs(t, s.Verify(pub[:31]), ErrInvalidKey)
	assert.ErrorIs(t, s.Verify(nil), ErrInvalidKey)
}

func TestSigningInputIsDomainSeparatedAndUTC(t *testing.T) {
	t.Parallel()
	root := merkle.EmptyRoot()
	in := SigningInput(7, root, testSealedAt, "ed25519:00")
	assert.True(t, bytes.HasPrefix(in, []byte(Domain+"\n")))
	assert.Contains(t, string(in), "\nsealed_at=2025-03-14T09:26:53.589793238Z\n")
	assert.Equal(t, in, SigningInput(7, root, testSealedAt.UTC(), "ed25519:00"), "the zone does not change the input")
	assert.NotEqual(t, in, SigningInput(70, root, testSealedAt, "ed25519:00"))
}
