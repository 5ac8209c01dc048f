package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tlog "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/disputes-ledger/disputes/audit/checkpointdir"
)

// A witness configured with nothing but the note key `disputes keys` prints
// reads the checkpoints `disputes seal --checkpoints` publishes, with the
// transparency-dev parser.
func TestSealPublishesCheckpointsAWitnessCanRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, key, cps := filepath.Join(dir, "ledger.db"), filepath.Join(dir, "seal.pem"), filepath.Join(dir, "cps")
	code, _, errOut := runCLI(t, "", "demo", "--db", db, "--tickets", "5")
	require.Equal(t, 0, code, errOut)
	code, _, errOut = runCLI(t, "", "keys", "--generate", key)
	require.Equal(t, 0, code, errOut)
	code, out, errOut := runCLI(t, "", "keys", "--key", key, "--origin", "example.com/disputes", "--json")
	require.Equal(t, 0, code, errOut)
	var info keyInfo
	require.NoError(t, json.Unmarshal([]byte(out), &info))
	assert.Equal(t, "example.com/disputes", info.Origin)
	require.True(t, strings.HasPrefix(info.NoteVerifierKey, "example.com/disputes+"), info.NoteVerifierKey)
	code, out, _ = runCLI(t, "", "keys", "--key", key, "--origin", "example.com/disputes")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "note key  "+info.NoteVerifierKey)

	code, out, errOut = runCLI(t, "", "seal", "--db", db, "--key", key, "--origin", "example.com/disputes", "--checkpoints", cps)
	require.Equal(t, 0, code, errOut)
	assert.NotContains(t, errOut, "published nowhere")

	latest, err := os.ReadFile(filepath.Join(cps, checkpointdir.LatestFile))
	require.NoError(t, err)
	assert.Contains(t, out, string(latest), "seal prints the checkpoint it published")
	verifier, err := note.NewVerifier(info.NoteVerifierKey)
	require.NoError(t, err)
	cp, _, _, err := tlog.ParseCheckpoint(latest, "example.com/disputes", verifier)
	require.NoError(t, err)
	assert.Positive(t, cp.Size)
	sizeFile, err := os.ReadFile(filepath.Join(cps, checkpointdir.SizeDir, fmt.Sprintf("%020d", cp.Size)))
	require.NoError(t, err)
	assert.Equal(t, latest, sizeFile)

	// Sealing again with nothing new publishes nothing new.
	code, _, errOut = runCLI(t, "", "seal", "--db", db, "--key", key, "--origin", "example.com/disputes", "--checkpoints", cps)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, 1, countLines(t, filepath.Join(cps, checkpointdir.LogFile)))

	// Without a target, the operator is told the seal stays home.
	code, _, errOut = runCLI(t, "", "seal", "--db", db, "--key", key)
	require.Equal(t, 0, code)
	assert.Contains(t, errOut, "published nowhere")

	// Another origin for the same ledger would be a second log under the
	// same sizes: the directory refuses it.
	code, _, errOut = runCLI(t, "", "seal", "--db", db, "--key", key, "--origin", "example.com/other", "--checkpoints", cps)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "different checkpoint")

	code, _, _ = runCLI(t, "", "keys", "--key", key, "--origin", "has space")
	assert.Equal(t, 2, code)
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
	}
	return n
}
