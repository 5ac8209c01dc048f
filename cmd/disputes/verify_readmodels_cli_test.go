package main

import (
	"database/sql"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/projections"
)

// TestVerifyReadModels: verify --read-models passes a ledger whose read
// models the demo built, fails (exit 1) naming the table and both rows once
// a penalty fact is edited, and is a usage error without a ledger.
func TestVerifyReadModels(t *testing.T) {
	t.Parallel()
	_, db, _, pub := auditLedger(t)
	code, out, errOut := runCLI(t, "", "project", "--db", db)
	require.Equal(t, 0, code, errOut)

	code, out, errOut = runCLI(t, "", "verify", "--db", db, "--public-key", pub, "--read-models")
	require.Equal(t, 0, code, out+errOut)
	assert.Contains(t, out, "Read models (rebuilt from the log and compared):")
	assert.Contains(t, out, "merchant_penalties: ok at position")

	raw, err := sql.Open("sqlite", sqlite.DSN(db))
	require.NoError(t, err)
	_, err = raw.Exec(`UPDATE rm_penalty_facts SET points = points + 10 WHERE position = (SELECT min(position) FROM rm_penalty_facts)`)
	require.NoError(t, err)
	require.NoError(t, raw.Close())

	code, out, errOut = runCLI(t, "", "verify", "--db", db, "--public-key", pub, "--read-models")
	assert.Equal(t, 1, code, out+errOut)
	assert.Contains(t, out, "merchant_penalties: DIFFERS")
	assert.Contains(t, out, "rm_penalty_facts: 1 row(s) only in the rebuild, 1 only in the read model")
	assert.Contains(t, errOut, "read model merchant_penalties differs from its rebuild")

	code, out, _ = runCLI(t, "", "verify", "--db", db, "--public-key", pub, "--read-models", "--json")
	assert.Equal(t, 1, code)
	var rep struct {
		Findings   []any                        `json:"findings"`
		ReadModels []projections.ReadModelCheck `json:"read_models"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	assert.Empty(t, rep.Findings, "the log itself is sound")
	require.Len(t, rep.ReadModels, 4, "ticket status, penalties, audit trail, deadlines")
	var differs int
	for _, c := range rep.ReadModels {
		if !c.OK() {
			differs++
			assert.Equal(t, projections.MerchantPenaltiesName, c.Projection)
		}
	}
	assert.Equal(t, 1, differs)

	code, _, _ = runCLI(t, "", "verify", "--read-models", "bundle.jsonl")
	assert.Equal(t, 2, code, "--read-models needs a ledger")
}
