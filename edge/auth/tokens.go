package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/disputes-ledger/disputes/events"
)

// TokenEntry is one line of the token file: the SHA-256 of a token and the
// principal it stands for. The token itself is never stored.
type TokenEntry struct {
	SHA256    string      `json:"sha256"`
	Role      events.Role `json:"role"`
	ID        string      `json:"id"`
	Note      string      `json:"note,omitempty"`
	CreatedAt *time.Time  `json:"created_at,omitempty"`
}

// TokenFile is the token file's JSON shape:
//
//	{"tokens": [{"sha256": "<64 hex>", "role": "buyer", "id": "b-1"}]}
type TokenFile struct {
	Tokens []TokenEntry `json:"tokens"`
}

// TokenSet authenticates opaque tokens against the hashes of a token file.
type TokenSet struct {
	// byHash is the principal of each listed token, by the token's SHA-256.
	byHash map[[sha256.Size]byte]Principal
}

// TokenPrefix begins every token NewToken makes, so a leaked one is easy to
// recognise in logs and secret scanners.
const TokenPrefix = "dsp_"

// NewToken returns a fresh random token: TokenPrefix and 32 random bytes
// in unpadded base64url.
func NewToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new token: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// HashToken returns the hex SHA-256 of a token, as the token file stores it.
// Tokens are long random strings, so an unsalted fast hash is enough: there
// is nothing to guess.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// ParseTokenFile reads a token file strictly and checks every entry: hashes
// are 64 hex digits and unique, roles are known and never system, ids are
// valid actor ids.
func ParseTokenFile(data []byte) (*TokenSet, error) {
	var f TokenFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	set := &TokenSet{byHash: make(map[[sha256.Size]byte]Principal, len(f.Tokens))}
	for i, e := range f.Tokens {
		var hash [sha256.Size]byte
		if len(e.SHA256) != hex.EncodedLen(sha256.Size) {
			return nil, fmt.Errorf("token file entry %d: sha256 must be 64 hex digits", i)
		}
		if _, err := hex.Decode(hash[:], []byte(e.SHA256)); err != nil {
			return nil, fmt.Errorf("token file entry %d: sha256 must be 64 hex digits", i)
		}
		if _, ok := set.byHash[hash]; ok {
			return nil, fmt.Errorf("token file entry %d: the same token hash is listed twice", i)
		}
		p := Principal{Role: e.Role, ID: e.ID}
		if err := checkPrincipal(p); err != nil {
			return nil, fmt.Errorf("token file entry %d: %w", i, err)
		}
		set.byHash[hash] = p
	}
	return set, nil
}

// LoadTokenFile reads and parses the token file at path.
func LoadTokenFile(path string) (*TokenSet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read token file: %w", err)
	}
	set, err := ParseTokenFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return set, nil
}

// Current returns s itself, so a fixed set serves where a reloaded one may.
func (s *TokenSet) Current() *TokenSet { return s }

// Len returns the number of tokens in the set.
func (s *TokenSet) Len() int { return len(s.byHash) }

// Authenticate implements Authenticator: it looks the token's SHA-256 up
// among the file's, in the same time whatever the number of tokens. The
// lookup's time depends only on the presented token's own hash: learning
// from it which stored hashes share that hash's first bytes gives no token
// away, since a token with a listed hash is a SHA-256 preimage (the
// comparison of every entry in constant time this replaced cost a scan
// of the whole file per request and protected nothing more).
func (s *TokenSet) Authenticate(_ context.Context, token string) (Principal, error) {
	p, ok := s.byHash[sha256.Sum256([]byte(token))]
	if !ok {
		return Principal{}, fmt.Errorf("%w: unknown token", ErrUnauthenticated)
	}
	return p, nil
}

// AddToken creates a token for the principal, appends its hash to the token
// file at path (creating the file if needed) and returns the token, which
// is not stored anywhere and must be shown to the user once. The file is
// replaced atomically and kept readable by its owner only.
func AddToken(path string, p Principal, note string, now time.Time) (string, error) {
	if err := checkPrincipal(p); err != nil {
		return "", fmt.Errorf("add token: %w", err)
	}
	token, err := NewToken()
	if err != nil {
		return "", err
	}
	err = editTokenFile(path, true, func(f *TokenFile) error {
		at := now.UTC().Truncate(time.Second)
		f.Tokens = append(f.Tokens, TokenEntry{SHA256: HashToken(token), Role: p.Role, ID: p.ID, Note: note, CreatedAt: &at})
		return nil
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// writeFileAtomic writes data to a temporary file beside path, syncs it and
// renames it over path, so a reader sees the old file or the new one.
func writeFileAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return errors.Join(fmt.Errorf("write token file: %w", err), tmp.Close())
	}
	if _, err := tmp.Write(data); err != nil {
		return errors.Join(fmt.Errorf("write token file: %w", err), tmp.Close())
	}
	if err := tmp.Sync(); err != nil {
		return errors.Join(fmt.Errorf("write token file: %w", err), tmp.Close())
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	return nil
}
