package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/internal/testenv"
)

// TestReadModelsInPostgres keeps the read models of a SQLite ledger in
// PostgreSQL with --projections: the same projection code and schema, and
// the same answers as the read models in the ledger's own file.
func TestReadModelsInPostgres(t *testing.T) {
	t.Parallel()
	url, _ := testenv.PostgresSchema(t)
	db := filepath.Join(t.TempDir(), "demo.db")
	code, _, errOut := runCLI(t, "", "demo", "--db", db, "--tickets", "20")
	require.Equal(t, 0, code, errOut)

	code, out, errOut := runCLI(t, "", "project", "--db", db, "--projections", url)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "at head")

	inFile := queryJSON[[]map[string]any](t, "query", "merchants", "--db", db, "--window-end", "2026-12-01", "--format", "json")
	inPG := queryJSON[[]map[string]any](t, "query", "merchants", "--db", db, "--projections", url, "--window-end", "2026-12-01", "--format", "json")
	require.NotEmpty(t, inFile)
	assert.Equal(t, inFile, inPG)
	ticketsFile := queryJSON[[]map[string]any](t, "query", "tickets", "--db", db, "--format", "json")
	ticketsPG := queryJSON[[]map[string]any](t, "query", "tickets", "--db", db, "--projections", url, "--format", "json")
	assert.Equal(t, len(ticketsFile), len(ticketsPG))

	code, _, errOut = runCLI(t, "", "project", "--db", db, "--projections", "redis://x")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, "projections")
}
