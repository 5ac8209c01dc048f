package checkpoint_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tlog "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/disputes-ledger/disputes/audit/checkpoint"
	"github.com/disputes-ledger/disputes/audit/merkle"
	"github.com/disputes-ledger/disputes/audit/seal"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testKey derives a fixed key from name; Ed25519 signatures are
// deterministic, so the golden checkpoint is stable.
func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("checkpoint test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func pubOf(priv ed25519.PrivateKey) ed25519.PublicKey { return priv.Public().(ed25519.PublicKey) }

var testCheckpoint = checkpoint.Checkpoint{Origin: "example.com/disputes", Size: 1042, Root: merkle.LeafHash([]byte("root"))}

func signed(t *testing.T, priv ed25519.PrivateKey, c checkpoint.Checkpoint) []byte {
	t.Helper()
	text, err := checkpoint.Sign(priv, c)
	require.NoError(t, err)
	return text
}

func TestSignedCheckpointGolden(t *testing.T) {
	t.Parallel()
	got := signed(t, testKey("a"), testCheckpoint)
	path := filepath.Join("testdata", "checkpoint.txt")
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}

// The transparency-dev formats library parses and verifies what we sign,
// with a verifier the x/mod note package builds from the public key alone.
func TestIndependentParserVerifiesCheckpoint(t *testing.T) {
	t.Parallel()
	priv := testKey("a")
	text := signed(t, priv, testCheckpoint)
	vkey, err := note.NewEd25519VerifierKey(testCheckpoint.Origin, pubOf(priv))
	require.NoError(t, err)
	v, err := note.NewVerifier(vkey)
	require.NoError(t, err)
	cp, rest, n, err := tlog.ParseCheckpoint(text, testCheckpoint.Origin, v)
	require.NoError(t, err)
	assert.Equal(t, testCheckpoint.Origin, cp.Origin)
	assert.Equal(t, testCheckpoint.Size, cp.Size)
	assert.Equal(t, testCheckpoint.Root[:], cp.Hash)
	assert.Empty(t, rest, "no extension lines")
	require.Len(t, n.Sigs, 1)

	ours, err := checkpoint.VerifierKey(testCheckpoint.Origin, pubOf(priv))
	require.NoError(t, err)
	assert.Equal(t, vkey, ours, "the key string a witness is configured with")

	other, err := note.NewEd25519VerifierKey(testCheckpoint.Origin, pubOf(testKey("b")))
	require.NoError(t, err)
	ov, err := note.NewVerifier(other)
	require.NoError(t, err)
	_, _, _, err = tlog.ParseCheckpoint(text, testCheckpoint.Origin, ov)
	assert.Error(t, err, "another key's verifier refuses it")
}

// The signature line is exactly C2SP signed-note's, checked by hand: an em
// dash, the key name, and base64 of the key hash (SHA-256 of name, newline,
// 0x01, public key; first 4 bytes) and the Ed25519 signature of the body.
func TestSignatureLineByHand(t *testing.T) {
	t.Parallel()
	priv := testKey("a")
	text := string(signed(t, priv, testCheckpoint))
	body, sigs, ok := strings.Cut(text, "\n\n")
	require.True(t, ok)
	body += "\n"
	assert.Equal(t, "example.com/disputes\n1042\n"+base64.StdEncoding.EncodeToString(testCheckpoint.Root[:])+"\n", body)
	line, ok := strings.CutPrefix(sigs, "— example.com/disputes ")
	require.True(t, ok, sigs)
	line, ok = strings.CutSuffix(line, "\n")
	require.True(t, ok)
	raw, err := base64.StdEncoding.DecodeString(line)
	require.NoError(t, err)
	require.Len(t, raw, 4+ed25519.SignatureSize)
	h := sha256.Sum256(append([]byte("example.com/disputes\n\x01"), pubOf(priv)...))
	assert.Equal(t, binary.BigEndian.Uint32(h[:4]), binary.BigEndian.Uint32(raw[:4]))
	assert.True(t, ed25519.Verify(pubOf(priv), []byte(body), raw[4:]))
}

func TestOpen(t *testing.T) {
	t.Parallel()
	priv := testKey("a")
	text := signed(t, priv, testCheckpoint)
	got, err := checkpoint.Open(text, pubOf(priv))
	require.NoError(t, err)
	assert.Equal(t, testCheckpoint, got)

	// A witness's cosignature beside the ledger's does not disturb it.
	witness := testKey("witness")
	wv, err := note.NewEd25519VerifierKey("witness.example", pubOf(witness))
	require.NoError(t, err)
	wkey, err := note.NewVerifier(wv)
	require.NoError(t, err)
	n, err := note.Open(text, note.VerifierList(mustVerifier(t, testCheckpoint.Origin, pubOf(priv))))
	require.NoError(t, err)
	cosigned, err := note.Sign(n, signerOf(witness, "witness.example", wkey.KeyHash()))
	require.NoError(t, err)
	assert.Contains(t, string(cosigned), "— witness.example ")
	got, err = checkpoint.Open(cosigned, pubOf(priv))
	require.NoError(t, err)
	assert.Equal(t, testCheckpoint, got)
}

func TestOpenRefusesAnotherKey(t *testing.T) {
	t.Parallel()
	forger := testKey("forger")
	text := signed(t, forger, testCheckpoint)
	_, err := checkpoint.Open(text, pubOf(testKey("a")))
	require.ErrorIs(t, err, checkpoint.ErrSignature)
	var se *checkpoint.SignatureError
	require.ErrorAs(t, err, &se)
	require.Len(t, se.SignedBy, 1)
	assert.True(t, strings.HasPrefix(se.SignedBy[0], "example.com/disputes+"))
	assert.NotEqual(t, se.Want, se.SignedBy[0])
	assert.False(t, se.Invalid)
}

func TestOpenRefusesAlteredCheckpoint(t *testing.T) {
	t.Parallel()
	priv := testKey("a")
	text := string(signed(t, priv, testCheckpoint))
	altered := strings.Replace(text, "\n1042\n", "\n1041\n", 1)
	require.NotEqual(t, text, altered)
	_, err := checkpoint.Open([]byte(altered), pubOf(priv))
	require.ErrorIs(t, err, checkpoint.ErrSignature)
	var se *checkpoint.SignatureError
	require.ErrorAs(t, err, &se)
	assert.True(t, se.Invalid)

	// Renamed origin: the signature is looked up under the new name and
	// found missing.
	renamed := strings.ReplaceAll(text, "example.com/disputes", "example.com/other")
	_, err = checkpoint.Open([]byte(renamed), pubOf(priv))
	assert.ErrorIs(t, err, checkpoint.ErrSignature)
}

func TestParseRejectsMalformed(t *testing.T) {
	t.Parallel()
	root := base64.StdEncoding.EncodeToString(testCheckpoint.Root[:])
	sig := "\n— example.com/disputes AAAAAAAA\n"
	tests := map[string]string{
		"empty":             "",
		"no signatures":     "example.com/disputes\n5\n" + root + "\n",
		"two lines":         "example.com/disputes\n5\n" + sig,
		"empty origin":      "\n5\n" + root + "\n" + sig,
		"origin with space": "example.com disputes\n5\n" + root + "\n" + sig,
		"origin with plus":  "example.com+disputes\n5\n" + root + "\n" + sig,
		"leading zero":      "example.com/disputes\n05\n" + root + "\n" + sig,
		"negative size":     "example.com/disputes\n-5\n" + root + "\n" + sig,
		"hex root":          "example.com/disputes\n5\n" + testCheckpoint.Root.String() + "\n" + sig,
		"short root":        "example.com/disputes\n5\n" + base64.StdEncoding.EncodeToString(testCheckpoint.Root[:31]) + "\n" + sig,
		"no final newline":  "example.com/disputes\n5\n" + root + "\n" + strings.TrimSuffix(sig, "\n"),
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := checkpoint.Parse([]byte(text))
			assert.ErrorIs(t, err, checkpoint.ErrMalformed)
			_, err = checkpoint.Open([]byte(text), pubOf(testKey("a")))
			assert.Error(t, err)
		})
	}
}

func TestOriginAndKeyValidation(t *testing.T) {
	t.Parallel()
	pub := pubOf(testKey("a"))
	origin := checkpoint.DefaultOrigin(pub)
	assert.Equal(t, "disputes-ledger/"+strings.TrimPrefix(seal.KeyID(pub), "ed25519:"), origin)
	require.NoError(t, checkpoint.ValidateOrigin(origin))
	assert.NotEqual(t, origin, checkpoint.DefaultOrigin(pubOf(testKey("b"))))
	for _, bad := range []string{"", "a b", "a+b", "a\tb", "a\nb"} {
		assert.ErrorIs(t, checkpoint.ValidateOrigin(bad), checkpoint.ErrInvalidOrigin, "%q", bad)
		_, err := checkpoint.VerifierKey(bad, pub)
		assert.ErrorIs(t, err, checkpoint.ErrInvalidOrigin)
		_, err = checkpoint.Sign(testKey("a"), checkpoint.Checkpoint{Origin: bad, Size: 1})
		assert.ErrorIs(t, err, checkpoint.ErrInvalidOrigin)
	}
	_, err := checkpoint.Sign(testKey("a")[:10], testCheckpoint)
	assert.ErrorIs(t, err, seal.ErrInvalidKey)
	_, err = checkpoint.Open(signed(t, testKey("a"), testCheckpoint), pub[:10])
	assert.ErrorIs(t, err, seal.ErrInvalidKey)
}

func mustVerifier(t *testing.T, name string, pub ed25519.PublicKey) note.Verifier {
	t.Helper()
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	require.NoError(t, err)
	v, err := note.NewVerifier(vkey)
	require.NoError(t, err)
	return v
}

// testSigner is a note.Signer for the witness in the tests.
type testSigner struct {
	priv ed25519.PrivateKey
	name string
	hash uint32
}

func signerOf(priv ed25519.PrivateKey, name string, hash uint32) testSigner {
	return testSigner{priv: priv, name: name, hash: hash}
}
func (s testSigner) Name() string                    { return s.name }
func (s testSigner) KeyHash() uint32                 { return s.hash }
func (s testSigner) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.priv, msg), nil }
