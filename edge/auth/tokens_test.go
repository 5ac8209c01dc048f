package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/events"
)

var ctx = context.Background()

func TestAddTokenStoresOnlyTheHash(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tokens.json")
	now := time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)

	buyer, err := auth.AddToken(path, auth.Principal{Role: events.RoleBuyer, ID: "b-1"}, "test buyer", now)
	require.NoError(t, err)
	merchant, err := auth.AddToken(path, auth.Principal{Role: events.RoleMerchant, ID: "m-1"}, "", now)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(buyer, auth.TokenPrefix))
	assert.NotEqual(t, buyer, merchant)

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(data), buyer, "the token itself is never stored")
	assert.Contains(t, string(data), auth.HashToken(buyer))
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	set, err := auth.LoadTokenFile(path)
	require.NoError(t, err)
	assert.Equal(t, 2, set.Len())
	p, err := set.Authenticate(ctx, buyer)
	require.NoError(t, err)
	assert.Equal(t, auth.Principal{Role: events.RoleBuyer, ID: "b-1"}, p)
	p, err = set.Authenticate(ctx, merchant)
	require.NoError(t, err)
	assert.Equal(t, events.RoleMerchant, p.Role)

	for _, bad := range []string{"", buyer + "x", buyer[:len(buyer)-1], auth.HashToken(buyer)} {
		_, err := set.Authenticate(ctx, bad)
		assert.ErrorIs(t, err, auth.ErrUnauthenticated, "%q", bad)
	}
}

func TestAddTokenRefusesSystem(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tokens.json")
	_, err := auth.AddToken(path, auth.Principal{Role: events.RoleSystem, ID: "scheduler"}, "", time.Now())
	require.ErrorIs(t, err, auth.ErrSystemRole)
	_, err = os.Stat(path)
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing written")
}

func TestParseTokenFileRejects(t *testing.T) {
	t.Parallel()
	hash := auth.HashToken("secret")
	tests := []struct {
		name, file string
	}{
		{"not json", `{"tokens":`},
		{"unknown field", `{"tokens":[],"extra":1}`},
		{"short hash", `{"tokens":[{"sha256":"abcd","role":"buyer","id":"b"}]}`},
		{"long hash", `{"tokens":[{"sha256":"` + hash + `00","role":"buyer","id":"b"}]}`},
		{"not hex", `{"tokens":[{"sha256":"` + strings.Repeat("zz", 32) + `","role":"buyer","id":"b"}]}`},
		{"system role", `{"tokens":[{"sha256":"` + hash + `","role":"system","id":"scheduler"}]}`},
		{"unknown role", `{"tokens":[{"sha256":"` + hash + `","role":"king","id":"k"}]}`},
		{"empty id", `{"tokens":[{"sha256":"` + hash + `","role":"buyer","id":""}]}`},
		{"bad id", `{"tokens":[{"sha256":"` + hash + `","role":"buyer","id":"b 1"}]}`},
		{"duplicate", `{"tokens":[{"sha256":"` + hash + `","role":"buyer","id":"b"},{"sha256":"` + strings.ToUpper(hash) + `","role":"merchant","id":"m"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := auth.ParseTokenFile([]byte(tc.file))
			assert.Error(t, err)
		})
	}
	_, err := auth.ParseTokenFile([]byte(`{"tokens":[{"sha256":"` + hash + `","role":"system","id":"s"}]}`))
	assert.ErrorIs(t, err, auth.ErrSystemRole)
}

func TestChainRoutesByTokenShape(t *testing.T) {
	t.Parallel()
	set, err := auth.ParseTokenFile([]byte(`{"tokens":[{"sha256":"` + auth.HashToken("opaque") + `","role":"auditor","id":"a-1"}]}`))
	require.NoError(t, err)
	key := []byte("0123456789abcdef0123456789abcdef")
	exp := time.Now().Add(time.Hour).Unix()
	jwt, err := auth.SignJWT(auth.Claims{Subject: "arb-1", Role: events.RoleArbitrator, ExpiresAt: &exp}, key)
	require.NoError(t, err)

	keys := must(auth.NewKeySet(must(auth.HS256Key("", key))))
	both := auth.Chain{Tokens: set, JWT: &auth.JWTVerifier{Keys: keys}}
	p, err := both.Authenticate(ctx, "opaque")
	require.NoError(t, err)
	assert.Equal(t, events.RoleAuditor, p.Role)
	p, err = both.Authenticate(ctx, jwt)
	require.NoError(t, err)
	assert.Equal(t, auth.Principal{Role: events.RoleArbitrator, ID: "arb-1"}, p)

	_, err = auth.Chain{Tokens: set}.Authenticate(ctx, jwt)
	assert.ErrorIs(t, err, auth.ErrUnauthenticated, "signed tokens need a configured key")
	_, err = auth.Chain{JWT: &auth.JWTVerifier{Keys: keys}}.Authenticate(ctx, "opaque")
	assert.ErrorIs(t, err, auth.ErrUnauthenticated)
	_, err = both.Authenticate(ctx, "")
	assert.ErrorIs(t, err, auth.ErrUnauthenticated)
}

// TestTokenFileEditsDoNotLoseEachOther runs adds and revokes at once: each
// edit holds the file's lock, so no add is lost and no revoked token comes
// back.
func TestTokenFileEditsDoNotLoseEachOther(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tokens.json")
	now := time.Now()
	const n = 8
	revokeMe := make([]string, n)
	for i := range revokeMe {
		tok, err := auth.AddToken(path, auth.Principal{Role: events.RoleBuyer, ID: fmt.Sprintf("old-%d", i)}, "", now)
		require.NoError(t, err)
		revokeMe[i] = tok
	}
	added := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			tok, err := auth.AddToken(path, auth.Principal{Role: events.RoleMerchant, ID: fmt.Sprintf("new-%d", i)}, "", now)
			assert.NoError(t, err)
			added[i] = tok
		}()
		go func() {
			defer wg.Done()
			_, err := auth.RevokeTokens(path, auth.TokenSelector{ID: fmt.Sprintf("old-%d", i)})
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	set, err := auth.LoadTokenFile(path)
	require.NoError(t, err)
	assert.Equal(t, n, set.Len())
	for i := range n {
		_, err := set.Authenticate(ctx, added[i])
		assert.NoError(t, err, "add %d kept", i)
		_, err = set.Authenticate(ctx, revokeMe[i])
		assert.ErrorIs(t, err, auth.ErrUnauthenticated, "revoke %d kept", i)
	}
	_, err = os.Stat(path + ".lock")
	assert.ErrorIs(t, err, os.ErrNotExist, "the lock is released")
}

// TestTokenFileEditWaitsForTheLock: an edit waits while another holds the
// lock, then goes ahead.
func TestTokenFileEditWaitsForTheLock(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tokens.json")
	require.NoError(t, os.WriteFile(path+".lock", nil, 0o600))
	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = os.Remove(path + ".lock")
	}()
	start := time.Now()
	_, err := auth.AddToken(path, auth.Principal{Role: events.RoleBuyer, ID: "b-1"}, "", start)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
}

// tokenFileOf is a token file listing n tokens, the i-th for buyer b-i;
// it returns the file and the tokens.
func tokenFileOf(t testing.TB, n int) ([]byte, []string) {
	t.Helper()
	f := auth.TokenFile{Tokens: make([]auth.TokenEntry, n)}
	tokens := make([]string, n)
	for i := range n {
		token, err := auth.NewToken()
		require.NoError(t, err)
		tokens[i] = token
		f.Tokens[i] = auth.TokenEntry{SHA256: auth.HashToken(token), Role: events.RoleBuyer, ID: fmt.Sprintf("b-%d", i)}
	}
	data, err := json.Marshal(f)
	require.NoError(t, err)
	return data, tokens
}

// Every token of a large file authenticates as its own principal, and
// nothing else does: not a token one character off, not a listed hash
// presented as the token.
func TestEveryTokenOfALargeFileIsItsOwnPrincipal(t *testing.T) {
	t.Parallel()
	data, tokens := tokenFileOf(t, 5000)
	set, err := auth.ParseTokenFile(data)
	require.NoError(t, err)
	require.Equal(t, len(tokens), set.Len())
	for i, token := range tokens {
		p, err := set.Authenticate(ctx, token)
		require.NoError(t, err, i)
		require.Equal(t, auth.Principal{Role: events.RoleBuyer, ID: fmt.Sprintf("b-%d", i)}, p)
	}
	for _, wrong := range []string{tokens[7][:len(tokens[7])-1] + "?", tokens[7] + "x", auth.HashToken(tokens[7]), ""} {
		_, err := set.Authenticate(ctx, wrong)
		require.ErrorIs(t, err, auth.ErrUnauthenticated, "%q", wrong)
	}
}

// BenchmarkAuthenticateOpaqueToken: a lookup costs the same with ten
// tokens listed as with a hundred thousand (before, each request compared
// the token's hash with every entry).
//
//	go test -run '^$' -bench AuthenticateOpaqueToken ./edge/auth
func BenchmarkAuthenticateOpaqueToken(b *testing.B) {
	for _, n := range []int{10, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			data, tokens := tokenFileOf(b, n)
			set, err := auth.ParseTokenFile(data)
			require.NoError(b, err)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if _, err := set.Authenticate(ctx, tokens[i%n]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
