package main

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/checkpointdir"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// verifyJSON runs verify with --json and returns the exit code and report.
func verifyJSON(t *testing.T, args ...string) (int, audit.Report) {
	t.Helper()
	code, out, errOut := runCLI(t, "", append([]string{"verify", "--json"}, args...)...)
	var rep audit.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep), "stdout %q stderr %q", out, errOut)
	return code, rep
}

func checkNames(rep audit.Report) []string {
	var out []string
	for c := range rep.Counts {
		out = append(out, string(c))
	}
	return out
}

func openRaw(t *testing.T, db string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", sqlite.DSN(db))
	require.NoError(t, err)
	t.Cleanup(func() { raw.Close() })
	return raw
}

// rehashOneTicket rewrites the first ticket's request and re-chains its
// stream with fresh hashes, as an operator with write access could.
func rehashOneTicket(t *testing.T, raw *sql.DB) {
	t.Helper()
	rows, err := raw.Query(`SELECT position, data FROM events WHERE stream = (SELECT stream FROM events WHERE position = 1) ORDER BY position`)
	require.NoError(t, err)
	var positions []uint64
	var envs []events.Envelope
	for rows.Next() {
		var pos uint64
		var data []byte
		require.NoError(t, rows.Scan(&pos, &data))
		env, err := events.Decode(data)
		require.NoError(t, err)
		positions, envs = append(positions, pos), append(envs, env)
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	req := envs[0].Payload.(events.RefundRequested)
	req.Description = "rewritten after the fact"
	envs[0].Payload = req
	_, wire, err := events.Link(nil, envs)
	require.NoError(t, err)
	for i, pos := range positions {
		_, err := raw.Exec(`UPDATE events SET data = ? WHERE position = ?`, wire[i], pos)
		require.NoError(t, err)
	}
}

func TestVerifyExitCodes(t *testing.T) {
	t.Parallel()
	dir, db, key, pub := auditLedger(t)
	cps := filepath.Join(dir, "cps")
	code, _, errOut := runCLI(t, "", "seal", "--db", db, "--key", key, "--checkpoints", cps)
	require.Equal(t, 0, code, errOut)
	latest := filepath.Join(cps, checkpointdir.LatestFile)

	code, rep := verifyJSON(t, "--db", db, "--public-key", pub, "--trusted-checkpoint", latest)
	assert.Equal(t, 0, code, "PASS: %+v", rep.Findings)
	require.NotNil(t, rep.Trusted)
	assert.True(t, rep.Trusted.Verified)

	// Strict by default: no pinned key is a FAIL, with the fingerprint to pin.
	code, rep = verifyJSON(t, "--db", db)
	assert.Equal(t, 1, code)
	assert.Equal(t, []string{string(audit.CheckKeyNotPinned)}, checkNames(rep))
	code, out, errOut := runCLI(t, "", "verify", "--db", db, "--trust-on-first-use")
	assert.Equal(t, 0, code, out+errOut)
	assert.Contains(t, errOut, "pin it from now on with --key-id "+rep.KeyID)

	bad := filepath.Join(dir, "bad.checkpoint")
	require.NoError(t, os.WriteFile(bad, []byte("not a checkpoint\n"), 0o644))
	for _, args := range [][]string{
		{"verify", "--db", db, "--public-key", pub, "--trusted-checkpoint", bad},
		{"verify", "--db", db, "--public-key", pub, "--trusted-checkpoint", filepath.Join(dir, "missing")},
		{"verify", "--db", db, "--public-key", pub, "--trust-on-first-use"},
		{"verify", "--public-key", pub},
	} {
		code, _, errOut := runCLI(t, "", args...)
		assert.Equal(t, 2, code, "%v: %s", args, errOut)
	}
}

// Issue 12, finding 1: DELETE the seals, rewrite an event and its chain.
func TestVerifyFailsOnDeletedSealsAndRehashedEdit(t *testing.T) {
	t.Parallel()
	_, db, _, pub := auditLedger(t)
	raw := openRaw(t, db)
	rehashOneTicket(t, raw)
	_, err := raw.Exec(`DELETE FROM audit_seals`)
	require.NoError(t, err)

	code, out, _ := runCLI(t, "", "verify", "--db", db, "--public-key", pub)
	assert.Equal(t, 1, code, out)
	assert.True(t, strings.HasPrefix(out, "FAIL"), out)
	assert.Contains(t, out, "seal_missing")
}

// Issue 12, finding 2: truncate after a seal and delete the later seals;
// the auditor holds the newer checkpoint.
func TestVerifyCatchesRollbackWithTrustedCheckpoint(t *testing.T) {
	t.Parallel()
	dir, db, key, pub := auditLedger(t)
	cps := filepath.Join(dir, "cps")
	code, _, errOut := runCLI(t, "", "seal", "--db", db, "--key", key, "--checkpoints", cps)
	require.Equal(t, 0, code, errOut)
	raw := openRaw(t, db)
	var firstSeal uint64
	require.NoError(t, raw.QueryRow(`SELECT max(size) FROM audit_seals`).Scan(&firstSeal))

	line := `{"command_id":"late-1","ticket_id":"T-late","actor":{"role":"buyer","id":"b-late"},"command":"open_ticket","data":{"order_id":"O-late","merchant_id":"m-1","kind":"refund_only","reason":"quality","currency":"CNY","amount_paid":5000,"requested":5000,"order_shipped":true}}`
	code, _, errOut = runCLI(t, line+"\n", "exec", "--db", db)
	require.Equal(t, 0, code, errOut)
	code, _, errOut = runCLI(t, "", "seal", "--db", db, "--key", key, "--checkpoints", cps)
	require.Equal(t, 0, code, errOut)
	held := filepath.Join(dir, "held.checkpoint")
	text, err := os.ReadFile(filepath.Join(cps, checkpointdir.LatestFile))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(held, text, 0o644))

	_, err = raw.Exec(`DELETE FROM events WHERE position > ?`, firstSeal)
	require.NoError(t, err)
	_, err = raw.Exec(`DELETE FROM audit_seals WHERE size > ?`, firstSeal)
	require.NoError(t, err)

	code, _, _ = runCLI(t, "", "verify", "--db", db, "--public-key", pub)
	assert.Equal(t, 0, code, "without the checkpoint the rollback is invisible (docs/audit.md)")
	code, rep := verifyJSON(t, "--db", db, "--public-key", pub, "--trusted-checkpoint", held)
	assert.Equal(t, 1, code)
	assert.Equal(t, []string{string(audit.CheckRollback)}, checkNames(rep))
}

// Issue 12, finding 3: the log re-sealed with a forger's key passes only if
// the auditor trusts whatever key the ledger offers.
func TestVerifyRefusesForgedResealWithoutPinnedKey(t *testing.T) {
	t.Parallel()
	dir, db, key, pub := auditLedger(t)
	cps := filepath.Join(dir, "cps")
	code, _, errOut := runCLI(t, "", "seal", "--db", db, "--key", key, "--checkpoints", cps)
	require.Equal(t, 0, code, errOut)
	held := filepath.Join(cps, checkpointdir.LatestFile)
	raw := openRaw(t, db)
	rehashOneTicket(t, raw)
	_, err := raw.Exec(`DELETE FROM audit_seals`)
	require.NoError(t, err)
	forger := filepath.Join(dir, "forger.pem")
	code, _, errOut = runCLI(t, "", "keys", "--generate", forger)
	require.Equal(t, 0, code, errOut)
	code, _, errOut = runCLI(t, "", "seal", "--db", db, "--key", forger)
	require.Equal(t, 0, code, errOut)

	code, rep := verifyJSON(t, "--db", db)
	assert.Equal(t, 1, code)
	assert.Equal(t, []string{string(audit.CheckKeyNotPinned)}, checkNames(rep))
	code, rep = verifyJSON(t, "--db", db, "--public-key", pub)
	assert.Equal(t, 1, code)
	assert.Contains(t, checkNames(rep), string(audit.CheckSealSignature))

	// Trusting on first use is the auditor's explicit, printed choice...
	code, _, errOut = runCLI(t, "", "verify", "--db", db, "--trust-on-first-use")
	assert.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "trusted on first use")
	// ...but a checkpoint they received before the forgery still refuses it.
	code, rep = verifyJSON(t, "--db", db, "--trust-on-first-use", "--trusted-checkpoint", held)
	assert.Equal(t, 1, code)
	assert.Equal(t, []string{string(audit.CheckCheckpointSignature)}, checkNames(rep))
}
