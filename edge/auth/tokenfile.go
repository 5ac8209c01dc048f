package auth

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/events"
)

// TokenIDLength is the length of a token id: that many leading hex digits
// of the token's SHA-256, as stored in the token file. It names a token in
// `disputes tokens list` and `tokens revoke` without revealing anything
// the file does not already show.
const TokenIDLength = 12

// TokenInfo describes one token of a token file, without its hash.
type TokenInfo struct {
	TokenID   string      `json:"token_id"`
	Role      events.Role `json:"role"`
	ID        string      `json:"id"`
	Note      string      `json:"note,omitempty"`
	CreatedAt *time.Time  `json:"created_at,omitempty"`
}

func infoOf(e TokenEntry) TokenInfo {
	return TokenInfo{TokenID: strings.ToLower(e.SHA256[:TokenIDLength]), Role: e.Role, ID: e.ID, Note: e.Note, CreatedAt: e.CreatedAt}
}

// TokenSelector chooses the tokens `tokens revoke` removes: the token with
// TokenID, or every token of the principal ID (of Role, if given).
// Exactly one of TokenID and ID is set.
type TokenSelector struct {
	TokenID string
	Role    events.Role
	ID      string
}

func (s TokenSelector) validate() error {
	switch {
	case (s.TokenID == "") == (s.ID == ""):
		return errors.New("name either a token id or a principal id")
	case s.TokenID != "" && s.Role != "":
		return errors.New("a role narrows a principal id, not a token id")
	case s.TokenID != "":
		if _, err := hex.DecodeString(s.TokenID); err != nil || len(s.TokenID) != TokenIDLength {
			return fmt.Errorf("token id %q is not %d hex digits, as 'tokens list' prints it", s.TokenID, TokenIDLength)
		}
	}
	return nil
}

func (s TokenSelector) matches(e TokenEntry) bool {
	if s.TokenID != "" {
		return strings.EqualFold(e.SHA256[:TokenIDLength], s.TokenID)
	}
	return e.ID == s.ID && (s.Role == "" || e.Role == s.Role)
}

// ListTokens returns the tokens of the token file at path, in file order.
func ListTokens(path string) ([]TokenInfo, error) {
	f, err := readTokenFile(path, false)
	if err != nil {
		return nil, err
	}
	out := make([]TokenInfo, 0, len(f.Tokens))
	for _, e := range f.Tokens {
		out = append(out, infoOf(e))
	}
	return out, nil
}

// RevokeTokens removes the tokens sel chooses from the token file at path
// and returns them. Choosing none is an error, and leaves the file as it
// was. A server watching the file stops accepting them at its next reload.
func RevokeTokens(path string, sel TokenSelector) ([]TokenInfo, error) {
	if err := sel.validate(); err != nil {
		return nil, fmt.Errorf("revoke token: %w", err)
	}
	var revoked []TokenInfo
	err := editTokenFile(path, false, func(f *TokenFile) error {
		kept := f.Tokens[:0]
		for _, e := range f.Tokens {
			if sel.matches(e) {
				revoked = append(revoked, infoOf(e))
				continue
			}
			kept = append(kept, e)
		}
		if len(revoked) == 0 {
			return ErrNoSuchToken
		}
		f.Tokens = kept
		return nil
	})
	if err != nil {
		return nil, err
	}
	return revoked, nil
}

// ErrNoSuchToken is returned by RevokeTokens when no token matches.
var ErrNoSuchToken = errors.New("no token matches")

// readTokenFile reads and checks the token file; a missing file is an
// empty one when missingOK.
func readTokenFile(path string, missingOK bool) (TokenFile, error) {
	var f TokenFile
	data, err := os.ReadFile(path)
	switch {
	case missingOK && errors.Is(err, os.ErrNotExist):
		return f, nil
	case err != nil:
		return f, fmt.Errorf("read token file: %w", err)
	}
	if _, err := ParseTokenFile(data); err != nil {
		return f, fmt.Errorf("%s: %w", path, err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// editTokenFile applies edit to the token file under an exclusive lock, so
// that two commands editing it at once cannot lose each other's change (a
// revoked token must not come back), and replaces the file atomically.
func editTokenFile(path string, create bool, edit func(*TokenFile) error) error {
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	f, err := readTokenFile(path, create)
	if err != nil {
		return err
	}
	if err := edit(&f); err != nil {
		return err
	}
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode token file: %w", err)
	}
	return writeFileAtomic(path, append(out, '\n'))
}

// lockWait is how long lockFile waits for another editor to finish.
const lockWait = 5 * time.Second

// lockFile takes a lock by creating path exclusively and returns its
// release. It works on every platform and file system; a lock left by a
// crashed editor is named in the error so an operator can remove it.
func lockFile(path string) (func(), error) {
	deadline := time.Now().Add(lockWait)
	for {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_ = f.Close()
			return func() { _ = os.Remove(path) }, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("lock token file: %w", err)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("lock token file: %s exists: another edit is running, or one crashed (then remove it)", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
