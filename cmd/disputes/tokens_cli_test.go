package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/edge/auth"
)

func addToken(t *testing.T, file, role, id string) string {
	t.Helper()
	code, out, errOut := runCLI(t, "", "tokens", "add", "--file", file, "--role", role, "--id", id, "--note", "for "+id)
	require.Equal(t, 0, code, errOut)
	return strings.TrimSpace(out)
}

func listTokens(t *testing.T, file string) []auth.TokenInfo {
	t.Helper()
	code, out, errOut := runCLI(t, "", "tokens", "list", "--file", file, "--json")
	require.Equal(t, 0, code, errOut)
	var list []auth.TokenInfo
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	return list
}

// TestTokensListAndRevoke covers issue #11 item 9's "no list or revoke":
// list names each token without revealing it, revoke removes tokens by
// token id or by principal, and a mistake changes nothing.
func TestTokensListAndRevoke(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "tokens.json")
	b1 := addToken(t, file, "buyer", "b-1")
	b1b := addToken(t, file, "buyer", "b-1")
	m1 := addToken(t, file, "merchant", "m-1")
	a1 := addToken(t, file, "auditor", "b-1") // the same id in another role

	code, out, errOut := runCLI(t, "", "tokens", "list", "--file", file)
	require.Equal(t, 0, code, errOut)
	for _, tok := range []string{b1, b1b, m1, a1} {
		assert.NotContains(t, out, tok, "a token is never printed")
		assert.NotContains(t, out, auth.HashToken(tok), "nor its whole hash")
		assert.Contains(t, out, auth.HashToken(tok)[:auth.TokenIDLength], "its id is")
	}
	assert.Contains(t, out, "buyer:b-1")
	assert.Contains(t, out, "merchant:m-1")
	assert.Contains(t, out, "for m-1")
	assert.Len(t, listTokens(t, file), 4)

	before, err := os.ReadFile(file)
	require.NoError(t, err)
	mistakes := []struct {
		name string
		args []string
		code int
	}{
		{"nothing named", []string{}, 2},
		{"both token id and id", []string{"--token-id", auth.HashToken(b1)[:auth.TokenIDLength], "--id", "b-1"}, 2},
		{"role without id", []string{"--role", "buyer"}, 2},
		{"unknown token id", []string{"--token-id", "000000000000"}, 1},
		{"short token id", []string{"--token-id", auth.HashToken(b1)[:6]}, 1},
		{"the token itself", []string{"--token-id", b1}, 1},
		{"unknown principal", []string{"--id", "b-9"}, 1},
		{"known id, other role", []string{"--id", "m-1", "--role", "buyer"}, 1},
	}
	for _, tc := range mistakes {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, "", append([]string{"tokens", "revoke", "--file", file}, tc.args...)...)
			assert.Equal(t, tc.code, code, errOut)
			after, err := os.ReadFile(file)
			require.NoError(t, err)
			assert.Equal(t, string(before), string(after), "a refused revoke changes nothing")
		})
	}

	tests := []struct {
		name    string
		args    []string
		revoked []string
		left    []string
	}{
		{"by token id", []string{"--token-id", strings.ToUpper(auth.HashToken(b1)[:auth.TokenIDLength])}, []string{b1}, []string{b1b, m1, a1}},
		{"by principal and role", []string{"--id", "b-1", "--role", "buyer"}, []string{b1b}, []string{m1, a1}},
		{"by principal, any role", []string{"--id", "m-1"}, []string{m1}, []string{a1}},
	}
	for _, tc := range tests {
		code, out, errOut := runCLI(t, "", append([]string{"tokens", "revoke", "--file", file, "--json"}, tc.args...)...)
		require.Equal(t, 0, code, "%s: %s", tc.name, errOut)
		var revoked []auth.TokenInfo
		require.NoError(t, json.Unmarshal([]byte(out), &revoked), tc.name)
		require.Len(t, revoked, len(tc.revoked), tc.name)
		for i, tok := range tc.revoked {
			assert.Equal(t, auth.HashToken(tok)[:auth.TokenIDLength], revoked[i].TokenID, tc.name)
		}
		set, err := auth.LoadTokenFile(file)
		require.NoError(t, err)
		for _, tok := range tc.revoked {
			_, err := set.Authenticate(context.Background(), tok)
			assert.ErrorIs(t, err, auth.ErrUnauthenticated, "%s: revoked", tc.name)
		}
		for _, tok := range tc.left {
			_, err := set.Authenticate(context.Background(), tok)
			assert.NoError(t, err, "%s: the others stay", tc.name)
		}
	}
	list := listTokens(t, file)
	require.Len(t, list, 1)
	assert.Equal(t, "auditor", string(list[0].Role))

	code, _, errOut = runCLI(t, "", "tokens", "list", "--file", filepath.Join(t.TempDir(), "missing.json"))
	assert.Equal(t, 1, code, "a missing file is an error: %s", errOut)
	code, _, _ = runCLI(t, "", "tokens", "remove")
	assert.Equal(t, 2, code)
}
