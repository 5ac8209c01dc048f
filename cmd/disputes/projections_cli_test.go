package main

import (
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadModelCommands runs the demo, which keeps the read models as it
// plays, then project, query and rebuild over its ledger.
func TestReadModelCommands(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "demo.db")
	code, out, errOut := runCLI(t, "", "demo", "--db", db, "--tickets", "25")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "Merchant penalty scores")
	assert.Contains(t, out, "TICKET STATUS (read model)")
	assert.Contains(t, out, "FLAGGED", "the counterfeit seed alone earns 12 points")

	code, out, errOut = runCLI(t, "", "project", "--db", db)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "at head")
	for _, name := range []string{"ticket_status", "merchant_penalties", "audit_trail"} {
		assert.Contains(t, out, name)
	}

	tickets := queryJSON[[]map[string]any](t, "query", "tickets", "--db", db, "--format", "json")
	assert.Len(t, tickets, 30, "25 generated and 5 seed tickets")
	closed := queryJSON[[]map[string]any](t, "query", "tickets", "--db", db, "--format", "json", "--status", "closed", "--limit", "3")
	require.Len(t, closed, 3)
	assert.Equal(t, "closed", closed[0]["status"])

	const counterfeit = "AS20261104SC"
	history := queryJSON[[]map[string]any](t, "history", "--db", db, "--json", counterfeit)
	trail := queryJSON[[]map[string]any](t, "query", "audit", "--db", db, "--format", "json", "--ticket", counterfeit)
	require.Len(t, trail, len(history), "one audit row per event of the ticket")
	assert.Equal(t, "ruling.finalized", trail[len(trail)-1]["event_type"])

	code, out, errOut = runCLI(t, "", "query", "merchants", "--db", db, "--format", "csv", "--window-end", "2026-12-31", "--flagged")
	require.Equal(t, 0, code, errOut)
	records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	require.Greater(t, len(records), 1)
	assert.Equal(t, []string{"merchant_id", "score", "flagged"}, records[0][:3])
	for _, r := range records[1:] {
		assert.Equal(t, "true", r[2], "--flagged keeps flagged merchants only")
	}

	// What the demo built while it ran equals a rebuild from position zero.
	snapshot := func() [3][]map[string]any {
		return [3][]map[string]any{
			queryJSON[[]map[string]any](t, "query", "tickets", "--db", db, "--format", "json"),
			queryJSON[[]map[string]any](t, "query", "audit", "--db", db, "--format", "json"),
			queryJSON[[]map[string]any](t, "query", "merchants", "--db", db, "--format", "json", "--window-end", "2026-12-31"),
		}
	}
	built := snapshot()
	code, out, errOut = runCLI(t, "", "rebuild", "--db", db)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "Rebuilt ticket_status, merchant_penalties, audit_trail, deadlines from position 0")
	assert.Equal(t, built, snapshot(), "a rebuild changes nothing")
	assert.Equal(t, tickets, built[0])

	code, _, errOut = runCLI(t, "", "rebuild", "--db", db, "no_such_model")
	assert.Equal(t, 2, code, errOut)
	code, _, _ = runCLI(t, "", "query", "everything", "--db", db)
	assert.Equal(t, 2, code)
	code, _, _ = runCLI(t, "", "query", "tickets", "--db", db, "--format", "xml")
	assert.Equal(t, 2, code)
	code, _, errOut = runCLI(t, "", "query", "tickets", "--db", db, "--status", "bogus")
	assert.Equal(t, 2, code, "a misspelt status is a usage error, not an empty list")
	assert.Contains(t, errOut, "under_review")
}

func queryJSON[T any](t *testing.T, args ...string) T {
	t.Helper()
	code, out, errOut := runCLI(t, "", args...)
	require.Equal(t, 0, code, errOut)
	var v T
	require.NoError(t, json.Unmarshal([]byte(out), &v), out)
	return v
}
