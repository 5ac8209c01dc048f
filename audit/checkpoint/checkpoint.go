package checkpoint

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/mod/sumdb/note"

	"github.com/disputes-ledger/disputes/audit/merkle"
	"github.com/disputes-ledger/disputes/audit/seal"
)

// ErrMalformed is returned (wrapped) for text that is not a signed
// checkpoint: not a signed note, or a body that is not origin, size and
// root hash.
var ErrMalformed = errors.New("malformed checkpoint")

// ErrSignature is returned (wrapped) by Open when the checkpoint carries no
// valid signature by the verifying key: it was signed by another key, under
// another name, or altered after signing.
var ErrSignature = errors.New("checkpoint not signed by the verifying key")

// ErrInvalidOrigin is returned (wrapped) for an origin a checkpoint cannot
// carry or a note key cannot be named after.
var ErrInvalidOrigin = errors.New("invalid checkpoint origin")

// Checkpoint is what a signed checkpoint states: the log named Origin had
// Size entries with the RFC 6962 root Root.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   merkle.Hash
}

// DefaultOrigin returns the origin a ledger uses when none is configured:
// "disputes-ledger/" and the 32 hex digits of the seal key's fingerprint
// (seal.KeyID), so that two ledgers with their own keys never share one.
func DefaultOrigin(pub ed25519.PublicKey) string {
	return "disputes-ledger/" + strings.TrimPrefix(seal.KeyID(pub), "ed25519:")
}

// ValidateOrigin reports whether origin can name a checkpoint and its key:
// non-empty valid UTF-8 without spaces, control characters or '+' (C2SP
// signed-note key names).
func ValidateOrigin(origin string) error {
	if origin == "" {
		return fmt.Errorf("empty origin: %w", ErrInvalidOrigin)
	}
	for _, r := range origin {
		if r == '+' || r == unicode.ReplacementChar || unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("origin %q contains %q: %w", origin, r, ErrInvalidOrigin)
		}
	}
	return nil
}

// Body returns the checkpoint's note text: origin, size and root, each on
// its own line.
func (c Checkpoint) Body() []byte {
	b := make([]byte, 0, len(c.Origin)+70)
	b = append(b, c.Origin...)
	b = append(b, '\n')
	b = strconv.AppendUint(b, c.Size, 10)
	b = append(b, '\n')
	b = base64.StdEncoding.AppendEncode(b, c.Root[:])
	return append(b, '\n')
}

// VerifierKey returns the note verifier key of the ledger's checkpoints,
// "<origin>+<8 hex digits of key hash>+<base64 of 0x01 and the public key>",
// the string a witness or monitor is configured with.
func VerifierKey(origin string, pub ed25519.PublicKey) (string, error) {
	if err := ValidateOrigin(origin); err != nil {
		return "", err
	}
	vkey, err := note.NewEd25519VerifierKey(origin, pub)
	if err != nil {
		return "", fmt.Errorf("verifier key of %s: %v: %w", origin, err, seal.ErrInvalidKey)
	}
	return vkey, nil
}

// verifier returns the note verifier of origin's checkpoints under pub.
func verifier(origin string, pub ed25519.PublicKey) (note.Verifier, error) {
	vkey, err := VerifierKey(origin, pub)
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("verifier of %s: %w", origin, err)
	}
	return v, nil
}

// signer signs notes with an Ed25519 key held as a value; note.NewSigner
// would need the key spelled out as a string.
type signer struct {
	name string
	hash uint32
	priv ed25519.PrivateKey
}

func (s signer) Name() string                    { return s.name }
func (s signer) KeyHash() uint32                 { return s.hash }
func (s signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.priv, msg), nil }

// Sign returns c as a signed note: its Body, a blank line and one signature
// line by priv under the key name c.Origin.
func Sign(priv ed25519.PrivateKey, c Checkpoint) ([]byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("sign checkpoint of size %d: private key has %d bytes: %w", c.Size, len(priv), seal.ErrInvalidKey)
	}
	v, err := verifier(c.Origin, priv.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint of size %d: %w", c.Size, err)
	}
	text, err := note.Sign(&note.Note{Text: string(c.Body())}, signer{name: c.Origin, hash: v.KeyHash(), priv: priv})
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint of size %d: %w", c.Size, err)
	}
	return text, nil
}

// Open verifies that text is a checkpoint signed by pub under the key name
// its own origin line gives, and returns it. Other signatures (a witness's
// cosignatures) are allowed and ignored. Errors wrap ErrMalformed,
// ErrInvalidOrigin, ErrSignature (as a *SignatureError naming the keys that
// did sign) or seal.ErrInvalidKey.
func Open(text []byte, pub ed25519.PublicKey) (Checkpoint, error) {
	c, err := Parse(text)
	if err != nil {
		return Checkpoint{}, err
	}
	v, err := verifier(c.Origin, pub)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("open checkpoint: %w", err)
	}
	if _, err := note.Open(text, note.VerifierList(v)); err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			se := &SignatureError{Want: keyLabel(v.Name(), v.KeyHash())}
			for _, s := range unverified.Note.UnverifiedSigs {
				se.SignedBy = append(se.SignedBy, keyLabel(s.Name, s.Hash))
			}
			return Checkpoint{}, fmt.Errorf("open checkpoint of size %d: %w", c.Size, se)
		case errors.As(err, &invalid):
			return Checkpoint{}, fmt.Errorf("open checkpoint of size %d: %w", c.Size,
				&SignatureError{Want: keyLabel(v.Name(), v.KeyHash()), Invalid: true})
		}
		return Checkpoint{}, fmt.Errorf("open checkpoint of size %d: %v: %w", c.Size, err, ErrMalformed)
	}
	return c, nil
}

// SignatureError says why a checkpoint's signature does not verify.
type SignatureError struct {
	// Want is the verifying key, "name+hash".
	Want string
	// SignedBy lists the keys whose signatures the note carries instead.
	SignedBy []string
	// Invalid is true when the note carries a signature under the verifying
	// key's name and hash that does not verify: the text was altered.
	Invalid bool
}

// Error names the keys.
func (e *SignatureError) Error() string {
	if e.Invalid {
		return fmt.Sprintf("the signature by %s does not verify: the checkpoint was altered", e.Want)
	}
	if len(e.SignedBy) == 0 {
		return fmt.Sprintf("no signature by %s", e.Want)
	}
	return fmt.Sprintf("signed by %s, not by %s", strings.Join(e.SignedBy, ", "), e.Want)
}

// Unwrap makes a SignatureError match ErrSignature.
func (e *SignatureError) Unwrap() error { return ErrSignature }

func keyLabel(name string, hash uint32) string { return fmt.Sprintf("%s+%08x", name, hash) }

// Parse reads the body of a signed checkpoint without checking any
// signature: use Open to trust it. The note must have a signature block,
// the body an origin, a size without leading zeros and a 32-byte root in
// standard base64; extension lines after the root are allowed and ignored.
func Parse(text []byte) (Checkpoint, error) {
	split := bytes.LastIndex(text, []byte("\n\n"))
	if split < 0 || !bytes.HasSuffix(text, []byte("\n")) {
		return Checkpoint{}, fmt.Errorf("no signature block after a blank line: %w", ErrMalformed)
	}
	lines := strings.Split(string(text[:split]), "\n")
	if len(lines) < 3 {
		return Checkpoint{}, fmt.Errorf("body has %d line(s), want origin, size and root: %w", len(lines), ErrMalformed)
	}
	if err := ValidateOrigin(lines[0]); err != nil {
		return Checkpoint{}, fmt.Errorf("parse checkpoint: %w: %w", ErrMalformed, err)
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("size %q is not a decimal without leading zeros: %w", lines[1], ErrMalformed)
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != len(merkle.Hash{}) {
		return Checkpoint{}, fmt.Errorf("root %q is not 32 bytes of standard base64: %w", lines[2], ErrMalformed)
	}
	return Checkpoint{Origin: lines[0], Size: size, Root: merkle.Hash(root)}, nil
}

// String is the checkpoint for people: origin, size and root in hex.
func (c Checkpoint) String() string {
	return fmt.Sprintf("%s size %d root %s", c.Origin, c.Size, hex.EncodeToString(c.Root[:]))
}
