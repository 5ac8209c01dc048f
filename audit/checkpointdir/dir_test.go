package checkpointdir_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit/checkpoint"
	"github.com/disputes-ledger/disputes/audit/checkpointdir"
	"github.com/disputes-ledger/disputes/audit/merkle"
)

func signedAt(t *testing.T, size uint64, root string) (checkpoint.Checkpoint, []byte) {
	t.Helper()
	seed := sha256.Sum256([]byte("checkpointdir test key"))
	cp := checkpoint.Checkpoint{Origin: "example.com/ledger", Size: size, Root: merkle.LeafHash([]byte(root))}
	text, err := checkpoint.Sign(ed25519.NewKeyFromSeed(seed[:]), cp)
	require.NoError(t, err)
	return cp, text
}

func logEntries(t *testing.T, dir string) []checkpointdir.Entry {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, checkpointdir.LogFile))
	require.NoError(t, err)
	defer f.Close()
	var out []checkpointdir.Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e checkpointdir.Entry
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e))
		out = append(out, e)
	}
	require.NoError(t, sc.Err())
	return out
}

func TestPublishAppendsAndNeverReplaces(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cps")
	d, err := checkpointdir.Open(path)
	require.NoError(t, err)

	cp5, text5 := signedAt(t, 5, "five")
	cp9, text9 := signedAt(t, 9, "nine")
	require.NoError(t, d.PublishCheckpoint(ctx, cp5, text5))
	require.NoError(t, d.PublishCheckpoint(ctx, cp9, text9))
	require.NoError(t, d.PublishCheckpoint(ctx, cp5, text5), "republishing is a no-op")

	got, err := os.ReadFile(d.SizeFile(5))
	require.NoError(t, err)
	assert.Equal(t, text5, got)
	assert.Equal(t, filepath.Join(path, "size", "00000000000000000005"), d.SizeFile(5))
	latest, err := os.ReadFile(filepath.Join(path, checkpointdir.LatestFile))
	require.NoError(t, err)
	assert.Equal(t, text9, latest, "an older checkpoint never becomes the latest again")

	entries := logEntries(t, path)
	require.Len(t, entries, 2)
	assert.Equal(t, uint64(5), entries[0].Size)
	assert.Equal(t, cp9.Root.String(), entries[1].Root)
	opened, err := checkpoint.Parse([]byte(entries[1].Checkpoint))
	require.NoError(t, err)
	assert.Equal(t, cp9, opened)

	// Another checkpoint of a published size: refused, nothing changes.
	forged5, forgedText := signedAt(t, 5, "rewritten")
	err = d.PublishCheckpoint(ctx, forged5, forgedText)
	require.ErrorIs(t, err, checkpointdir.ErrConflict)
	got, err = os.ReadFile(d.SizeFile(5))
	require.NoError(t, err)
	assert.Equal(t, text5, got)
	assert.Len(t, logEntries(t, path), 2)

	leftovers, err := filepath.Glob(filepath.Join(path, "*", ".tmp-*"))
	require.NoError(t, err)
	more, err := filepath.Glob(filepath.Join(path, ".tmp-*"))
	require.NoError(t, err)
	assert.Empty(t, append(leftovers, more...), "no temporary files left behind")
}

func TestOpenFailsOnAFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(path, []byte("x"), 0o644))
	_, err := checkpointdir.Open(path)
	assert.Error(t, err)
}
