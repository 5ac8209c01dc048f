package main

import (
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// auditLedger makes a demo ledger and a signing key, and seals the ledger.
func auditLedger(t *testing.T) (dir, db, key, pub string) {
	t.Helper()
	dir = t.TempDir()
	db, key, pub = filepath.Join(dir, "ledger.db"), filepath.Join(dir, "seal.pem"), filepath.Join(dir, "seal.pub.pem")
	code, _, errOut := runCLI(t, "", "demo", "--db", db, "--tickets", "20")
	require.Equal(t, 0, code, errOut)
	code, out, errOut := runCLI(t, "", "keys", "--generate", key, "--out", pub)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "ed25519:")
	code, out, errOut = runCLI(t, "", "seal", "--db", db, "--key", key)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "sealed positions 1..")
	return dir, db, key, pub
}

func TestAuditCommands(t *testing.T) {
	t.Parallel()
	dir, db, key, pub := auditLedger(t)

	// Sealing again with nothing new makes no seal.
	code, out, _ := runCLI(t, "", "seal", "--db", db, "--key", key)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "already sealed")

	code, out, errOut := runCLI(t, "", "verify", "--db", db, "--public-key", pub)
	require.Equal(t, 0, code, out+errOut)
	assert.True(t, strings.HasPrefix(out, "PASS"), out)

	bundleFile := filepath.Join(dir, "all.jsonl")
	code, _, errOut = runCLI(t, "", "export", "--db", db, "--out", bundleFile)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "exported all")

	code, out, _ = runCLI(t, "", "keys", "--key", key, "--json")
	require.Equal(t, 0, code)
	var info keyInfo
	require.NoError(t, json.Unmarshal([]byte(out), &info))
	code, out, errOut = runCLI(t, "", "verify", "--json", "--key-id", info.KeyID, bundleFile)
	require.Equal(t, 0, code, out+errOut)
	var rep audit.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.True(t, rep.OK())
	assert.True(t, rep.KeyPinned)
	assert.Positive(t, rep.Events)

	// The bundle verifies from stdin too, and a partial one for one ticket.
	data, err := os.ReadFile(bundleFile)
	require.NoError(t, err)
	code, out, _ = runCLI(t, string(data), "verify", "--public-key", pub, "-")
	require.Equal(t, 0, code, out)
	ruling := firstRulingLine(t, string(data))
	oneFile := filepath.Join(dir, "one.jsonl")
	code, _, errOut = runCLI(t, "", "export", "--db", db, "--ticket", ruling.ticket, "--out", oneFile)
	require.Equal(t, 0, code, errOut)
	code, out, _ = runCLI(t, "", "verify", "--public-key", pub, oneFile)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "partial")

	// The ticket's history names the ruling by the id prove takes.
	code, out, errOut = runCLI(t, "", "history", "--db", db, "--json", ruling.ticket)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, `"event_id": "`+ruling.id+`"`, "history --json gives prove its handle")

	// Prove the ruling; an outsider checks it with the public key alone.
	proofFile := filepath.Join(dir, "ruling.proof.json")
	code, _, errOut = runCLI(t, "", "prove", "--db", db, "--out", proofFile, ruling.id)
	require.Equal(t, 0, code, errOut)
	code, out, errOut = runCLI(t, "", "verify-proof", "--public-key", pub, proofFile)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "OK  event "+ruling.id)
	assert.Contains(t, out, "(pinned)")
	code, _, errOut = runCLI(t, "", "verify-proof", "--key-id", "ed25519:00000000000000000000000000000000", proofFile)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "not the pinned key")
}

type rulingRef struct{ id, ticket string }

// firstRulingLine finds a ruling in a bundle.
func firstRulingLine(t *testing.T, bundle string) rulingRef {
	t.Helper()
	for _, line := range strings.Split(bundle, "\n") {
		if !strings.Contains(line, `"type":"ruling.recorded"`) {
			continue
		}
		var rec struct {
			Data struct {
				ID     string `json:"id"`
				Stream string `json:"stream"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		return rulingRef{id: rec.Data.ID, ticket: strings.TrimPrefix(rec.Data.Stream, "ticket-")}
	}
	t.Fatal("no ruling in the demo ledger")
	return rulingRef{}
}

func TestVerifyReportsTamperingAndExitsOne(t *testing.T) {
	t.Parallel()
	_, db, _, pub := auditLedger(t)
	raw, err := sql.Open("sqlite", sqlite.DSN(db))
	require.NoError(t, err)
	_, err = raw.Exec(`DELETE FROM events WHERE position = 7`)
	require.NoError(t, err)
	require.NoError(t, raw.Close())

	code, out, errOut := runCLI(t, "", "verify", "--db", db, "--public-key", pub)
	assert.Equal(t, 1, code)
	assert.True(t, strings.HasPrefix(out, "FAIL"), out)
	assert.Contains(t, out, "log_gap")
	assert.Contains(t, errOut, "verification failed")

	code, out, _ = runCLI(t, "", "verify", "--db", db, "--public-key", pub, "--json")
	assert.Equal(t, 1, code)
	var rep audit.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.NotEmpty(t, rep.Of(audit.CheckLogGap))
	assert.Equal(t, uint64(7), rep.Of(audit.CheckLogGap)[0].Position)
	assert.True(t, rep.Has(audit.CheckSealRoot))
}

func TestSigningKeyFromEnvironment(t *testing.T) {
	// Not parallel: it sets an environment variable.
	dir := t.TempDir()
	key := filepath.Join(dir, "k.pem")
	code, _, _ := runCLI(t, "", "keys", "--generate", key)
	require.Equal(t, 0, code)
	data, err := os.ReadFile(key)
	require.NoError(t, err)
	priv, err := seal.ParsePrivateKeyPEM(data)
	require.NoError(t, err)
	t.Setenv(signingKeyEnv, seal.EncodeSeed(priv))
	code, out, errOut := runCLI(t, "", "keys", "--json")
	require.Equal(t, 0, code, errOut)
	var info keyInfo
	require.NoError(t, json.Unmarshal([]byte(out), &info))
	assert.Equal(t, seal.KeyID(priv.Public().(ed25519.PublicKey)), info.KeyID)

	t.Setenv(signingKeyEnv, "not base64!")
	code, _, errOut = runCLI(t, "", "keys")
	assert.Equal(t, 1, code)
	assert.NotContains(t, errOut, "not base64!", "a secret is never echoed")
}

func TestAuditUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	existing := filepath.Join(dir, "k.pem")
	require.NoError(t, os.WriteFile(existing, []byte("x"), 0o600))
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"verify"}, 2},
		{[]string{"verify", "--db", "x.db", "b.jsonl"}, 2},
		{[]string{"prove", "--db", filepath.Join(dir, "none.db")}, 2},
		{[]string{"prove", "--db", filepath.Join(dir, "none.db"), "not-a-uuid"}, 2},
		{[]string{"export", "--ticket", "a", "--merchant", "b"}, 2},
		{[]string{"export", "--from", "yesterday", "--to", "today"}, 2},
		{[]string{"keys", "--generate", existing}, 1},
		{[]string{"seal", "--db", filepath.Join(dir, "none.db"), "--key", existing}, 1},
		{[]string{"verify-proof"}, 2},
	}
	for _, tc := range tests {
		code, _, errOut := runCLI(t, "", tc.args...)
		assert.Equal(t, tc.code, code, "%v: %s", tc.args, errOut)
	}
	data, err := os.ReadFile(existing)
	require.NoError(t, err)
	assert.Equal(t, "x", string(data), "--generate never overwrites a key")
}
