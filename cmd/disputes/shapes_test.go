package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQueryOutputShapes pins what `disputes query` prints for machines, in
// golden files under testdata/shapes: JSON keys in snake_case and the
// read side's own names (status, next_deadline), durations in seconds,
// money in integer fen (CSV with a formatted yuan column beside), times in
// RFC 3339 UTC. Event ids and hashes, which are random per run, are
// replaced by placeholders. go test ./cmd/disputes -run TestQueryOutputShapes -update
// rewrites the files.
func TestQueryOutputShapes(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "shapes.db")
	code, _, errOut := runCLI(t, execInput, "exec", "--db", db, "--client-time")
	require.Equal(t, 1, code, "the input holds refused lines: "+errOut)
	code, _, errOut = runCLI(t, "", "project", "--db", db)
	require.Equal(t, 0, code, errOut)

	for _, c := range []struct {
		golden string
		args   []string
	}{
		{"tickets.json", []string{"query", "tickets", "--format", "json"}},
		{"tickets.csv", []string{"query", "tickets", "--format", "csv"}},
		{"audit.json", []string{"query", "audit", "--format", "json"}},
		{"audit.csv", []string{"query", "audit", "--format", "csv"}},
		{"merchants.json", []string{"query", "merchants", "--format", "json", "--window-end", "2026-12-31T00:00:00Z"}},
		{"merchants.csv", []string{"query", "merchants", "--format", "csv", "--window-end", "2026-12-31T00:00:00Z"}},
	} {
		code, out, errOut := runCLI(t, "", append(c.args, "--db", db)...)
		require.Equal(t, 0, code, errOut)
		out = unrandom(out)
		golden := filepath.Join("testdata", "shapes", c.golden)
		if *update {
			require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
			require.NoError(t, os.WriteFile(golden, []byte(out), 0o644))
		}
		want, err := os.ReadFile(golden)
		require.NoError(t, err)
		assert.Equal(t, string(want), out, c.golden)
		if strings.HasSuffix(c.golden, ".json") {
			assertSnakeCaseKeys(t, c.golden, []byte(out))
		}
	}
}

var (
	randomUUID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	randomHash = regexp.MustCompile(`\b[0-9a-f]{64}\b`)
)

// unrandom replaces event ids and hashes, new each run, by placeholders.
func unrandom(s string) string {
	s = randomUUID.ReplaceAllString(s, "<uuid>")
	return randomHash.ReplaceAllString(s, "<sha256>")
}

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// assertSnakeCaseKeys checks every object key in a JSON document is
// snake_case, except the values of a map (penalty reasons are snake_case
// too, so no exception is needed today).
func assertSnakeCaseKeys(t *testing.T, name string, doc []byte) {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(doc, &v), name)
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				assert.Regexp(t, snakeCase, k, "%s: key %s%s", name, path, k)
				walk(e, path+k+".")
			}
		case []any:
			for _, e := range x {
				walk(e, path)
			}
		}
	}
	walk(v, "")
}

// TestEveryJSONOutputIsSnakeCase runs each command that prints JSON and
// checks every key of what it prints is snake_case: one data shape for
// machines across the CLI.
func TestEveryJSONOutputIsSnakeCase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	key, pub, tokens := filepath.Join(dir, "k.pem"), filepath.Join(dir, "k.pub"), filepath.Join(dir, "t.json")
	code, out, errOut := runCLI(t, execInput, "exec", "--db", db, "--client-time")
	require.Equal(t, 1, code, errOut)
	outputs := map[string]string{"exec": out}
	var history []map[string]any
	for _, c := range []struct {
		name string
		args []string
	}{
		{"keys", []string{"keys", "--generate", key, "--out", pub, "--json"}},
		{"seal", []string{"seal", "--db", db, "--key", key, "--json"}},
		{"verify", []string{"verify", "--db", db, "--public-key", pub, "--json"}},
		{"show", []string{"show", "--db", db, "--json", "T-1"}},
		{"history", []string{"history", "--db", db, "--json", "T-1"}},
		{"tokens add", []string{"tokens", "add", "--file", tokens, "--role", "buyer", "--id", "b-1"}},
		{"tokens list", []string{"tokens", "list", "--file", tokens, "--json"}},
	} {
		code, out, errOut := runCLI(t, "", c.args...)
		require.Equal(t, 0, code, "%s: %s", c.name, errOut)
		if c.name == "history" {
			require.NoError(t, json.Unmarshal([]byte(out), &history))
		}
		if c.name != "tokens add" {
			outputs[c.name] = out
		}
	}
	require.NotEmpty(t, history)
	eventID, _ := history[0]["event_id"].(string)
	require.NotEmpty(t, eventID, "history --json names each step's event")
	proofFile := filepath.Join(dir, "proof.json")
	code, _, errOut = runCLI(t, "", "prove", "--db", db, "--out", proofFile, eventID)
	require.Equal(t, 0, code, errOut)
	doc, err := os.ReadFile(proofFile)
	require.NoError(t, err)
	outputs["prove"] = string(doc)
	code, out, errOut = runCLI(t, "", "verify-proof", "--public-key", pub, "--json", proofFile)
	require.Equal(t, 0, code, errOut)
	outputs["verify-proof"] = out

	for name, out := range outputs {
		dec := json.NewDecoder(strings.NewReader(out))
		docs := 0
		for dec.More() {
			var raw json.RawMessage
			require.NoError(t, dec.Decode(&raw), "%s: %s", name, out)
			assertSnakeCaseKeys(t, name, raw)
			docs++
		}
		assert.Positive(t, docs, name)
	}
}
