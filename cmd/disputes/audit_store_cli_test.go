package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/checkpointdir"
	"github.com/disputes-ledger/disputes/eventstore/kurrentdb/kurrenttest"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// auditEndToEnd runs the auditor's whole round on the ledger at storeURL:
// seal (publishing the checkpoint), verify the live ledger against it,
// export everything and one ticket, verify both bundles against it, prove a
// ruling and check the proof, prove consistency. It returns the public key
// file and the checkpoint the auditor holds.
func auditEndToEnd(t *testing.T, storeURL string) (pub, held string) {
	t.Helper()
	dir := t.TempDir()
	key, pub := filepath.Join(dir, "seal.pem"), filepath.Join(dir, "seal.pub.pem")
	cps := filepath.Join(dir, "checkpoints")
	held = filepath.Join(cps, checkpointdir.LatestFile)
	code, _, errOut := runCLI(t, "", "keys", "--generate", key, "--out", pub)
	require.Equal(t, 0, code, errOut)

	code, out, errOut := runCLI(t, "", "seal", "--store", storeURL, "--key", key, "--checkpoints", cps)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "sealed positions 1..")
	code, out, errOut = runCLI(t, "", "seal", "--store", storeURL, "--key", key)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "already sealed", "the seal was stored with the events, where the second run finds it")

	code, out, errOut = runCLI(t, "", "verify", "--store", storeURL, "--public-key", pub, "--trusted-checkpoint", held)
	require.Equal(t, 0, code, out+errOut)
	assert.True(t, strings.HasPrefix(out, "PASS"), out)
	assert.Contains(t, out, "trusted    checkpoint")

	all := filepath.Join(dir, "all.jsonl")
	code, _, errOut = runCLI(t, "", "export", "--store", storeURL, "--out", all)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "1 seal(s)")
	code, out, errOut = runCLI(t, "", "verify", "--public-key", pub, "--trusted-checkpoint", held, all)
	require.Equal(t, 0, code, out+errOut)
	data, err := os.ReadFile(all)
	require.NoError(t, err)
	ruling := firstRulingLine(t, string(data))

	one := filepath.Join(dir, "one.jsonl")
	code, _, errOut = runCLI(t, "", "export", "--store", storeURL, "--ticket", ruling.ticket, "--out", one)
	require.Equal(t, 0, code, errOut)
	code, out, errOut = runCLI(t, "", "verify", "--public-key", pub, "--trusted-checkpoint", held, one)
	require.Equal(t, 0, code, out+errOut)
	assert.Contains(t, out, "partial")

	proofFile := filepath.Join(dir, "ruling.proof.json")
	code, _, errOut = runCLI(t, "", "prove", "--store", storeURL, "--out", proofFile, ruling.id)
	require.Equal(t, 0, code, errOut)
	code, out, errOut = runCLI(t, "", "verify-proof", "--public-key", pub, proofFile)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "OK  event "+ruling.id)
	return pub, held
}

// TestAuditOnPostgres: with --store postgres://… the seals live in the
// event store's schema and every audit command works end to end; a row
// deleted from the events table then fails verification.
func TestAuditOnPostgres(t *testing.T) {
	t.Parallel()
	storeURL, _ := testenv.PostgresSchema(t)
	readModels := filepath.Join(t.TempDir(), "read.db")
	code, _, errOut := runCLI(t, "", "demo", "--store", storeURL, "--db", readModels, "--tickets", "8")
	require.Equal(t, 0, code, errOut)
	pub, held := auditEndToEnd(t, storeURL)

	// The other read commands read the PostgreSQL ledger too, read-only.
	code, out, errOut := runCLI(t, "", "query", "tickets", "--store", storeURL, "--db", readModels, "--format", "json")
	require.Equal(t, 0, code, errOut)
	var tickets []struct {
		TicketID string `json:"ticket_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &tickets))
	require.NotEmpty(t, tickets)
	code, out, errOut = runCLI(t, "", "show", "--store", storeURL, tickets[0].TicketID)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, tickets[0].TicketID)
	code, _, errOut = runCLI(t, "", "history", "--store", storeURL, tickets[0].TicketID)
	require.Equal(t, 0, code, errOut)

	// A schema without a ledger is refused by every read, and left empty.
	emptyURL, emptySchema := testenv.PostgresSchema(t)
	for _, args := range [][]string{
		{"verify", "--store", emptyURL},
		{"show", "--store", emptyURL, "T-1"},
		{"export", "--store", emptyURL, "--out", filepath.Join(t.TempDir(), "x.jsonl")},
	} {
		code, _, errOut := runCLI(t, "", args...)
		assert.Equal(t, 1, code, "%v", args)
		assert.Contains(t, errOut, "no ledger", "%v", args)
	}

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, storeURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var tables int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1`, emptySchema).Scan(&tables))
	assert.Zero(t, tables, "reads created nothing in the empty schema")
	var seals int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM audit_seals`).Scan(&seals))
	assert.Equal(t, 1, seals, "the seal is a row beside the events")

	_, err = conn.Exec(ctx, `DELETE FROM eventstore_events WHERE position = 5`)
	require.NoError(t, err)
	code, out, _ = runCLI(t, "", "verify", "--store", storeURL, "--public-key", pub)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "log_gap", "the auditor reads the table as it is, gaps included")

	// Roll back: drop the seals and the log's tail. The checkpoint the
	// auditor holds names it.
	_, err = conn.Exec(ctx, `DELETE FROM audit_seals`)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `DELETE FROM eventstore_events WHERE position > 10`)
	require.NoError(t, err)
	code, rep := verifyJSON(t, "--store", storeURL, "--public-key", pub, "--trusted-checkpoint", held)
	assert.Equal(t, 1, code)
	assert.True(t, rep.Has(audit.CheckRollback), "%+v", rep.Findings)
	code, rep = verifyJSON(t, "--store", storeURL, "--public-key", pub)
	assert.Equal(t, 1, code)
	assert.True(t, rep.Has(audit.CheckSealMissing), "a pinned key and no seal: %+v", rep.Findings)
}

// TestAuditOnKurrentDB runs the same round on the KurrentDB test double
// (package kurrenttest): the seals are a stream on the ledger's server.
func TestAuditOnKurrentDB(t *testing.T) {
	t.Parallel()
	srv, err := kurrenttest.Start(kurrenttest.Options{})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	storeURL := "kurrentdb://" + srv.Addr() + "?tls=false"
	readModels := filepath.Join(t.TempDir(), "read.db")
	code, _, errOut := runCLI(t, "", "demo", "--store", storeURL, "--db", readModels, "--tickets", "4")
	require.Equal(t, 0, code, errOut)
	_, _ = auditEndToEnd(t, storeURL)
}
