package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// readCommands are the commands that only read a ledger, each given the
// ledger file db, a ticket and an event of it, and a directory to write
// their output to.
func readCommands(db, ticket, eventID, out string) [][]string {
	return [][]string{
		{"show", "--db", db, ticket},
		{"history", "--db", db, ticket},
		{"query", "tickets", "--db", db},
		{"query", "merchants", "--db", db, "--window-end", "2026-12-01"},
		{"query", "audit", "--db", db, "--ticket", ticket},
		{"verify", "--db", db, "--trust-on-first-use"},
		{"verify", "--db", db, "--trust-on-first-use", "--read-models"},
		{"export", "--db", db, "--out", filepath.Join(out, "all.jsonl")},
		{"export", "--db", db, "--ticket", ticket, "--out", filepath.Join(out, "one.jsonl")},
		{"prove", "--db", db, "--out", filepath.Join(out, "proof.json"), eventID},
	}
}

// sealedLedger makes a sealed demo ledger with its read models, closed,
// and returns it with a ruling's ticket and event id.
func sealedLedger(t *testing.T) (db, ticket, eventID string) {
	t.Helper()
	dir, db, _, _ := auditLedger(t)
	bundle := filepath.Join(dir, "b.jsonl")
	code, _, errOut := runCLI(t, "", "export", "--db", db, "--out", bundle)
	require.Equal(t, 0, code, errOut)
	data, err := os.ReadFile(bundle)
	require.NoError(t, err)
	r := firstRulingLine(t, string(data))
	return db, r.ticket, r.id
}

// TestReadCommandsLeaveEveryByte: each read command succeeds on a sealed
// ledger and leaves the file and its -wal/-shm exactly as they were.
func TestReadCommandsLeaveEveryByte(t *testing.T) {
	t.Parallel()
	db, ticket, eventID := sealedLedger(t)
	out := t.TempDir()
	for _, args := range readCommands(db, ticket, eventID, out) {
		before := testenv.LedgerFiles(t, db)
		code, stdout, errOut := runCLI(t, "", args...)
		require.Equal(t, 0, code, "%v: %s%s", args, stdout, errOut)
		assert.Equal(t, before, testenv.LedgerFiles(t, db), "%v changed the ledger's bytes", args)
	}
}

// TestReadCommandsOnReadOnlyMedia: the ledger in a directory nobody may
// write (0555, file 0444). Tests may run as root, whom chmod does not stop,
// so the bytes and the directory's entries are checked as well.
func TestReadCommandsOnReadOnlyMedia(t *testing.T) {
	t.Parallel()
	src, ticket, eventID := sealedLedger(t)
	require.NoFileExists(t, src+"-wal", "a closed ledger has no WAL")
	media := filepath.Join(t.TempDir(), "media")
	require.NoError(t, os.Mkdir(media, 0o755))
	db := filepath.Join(media, "ledger.db")
	data, err := os.ReadFile(src)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(db, data, 0o444))
	require.NoError(t, os.Chmod(media, 0o555))
	t.Cleanup(func() { _ = os.Chmod(media, 0o755) })
	entries := func() []string {
		es, err := os.ReadDir(media)
		require.NoError(t, err)
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		return names
	}
	out := t.TempDir()
	for _, args := range readCommands(db, ticket, eventID, out) {
		before := testenv.LedgerFiles(t, db)
		code, stdout, errOut := runCLI(t, "", args...)
		require.Equal(t, 0, code, "%v: %s%s", args, stdout, errOut)
		assert.Equal(t, before, testenv.LedgerFiles(t, db), "%v changed the ledger's bytes", args)
		assert.Equal(t, []string{"ledger.db"}, entries(), "%v created a file beside the ledger", args)
	}
}

// TestNonLedgersAreRefused: an empty file, a text file, an SQLite file
// without the events table and a ledger of a newer schema are refused by
// every command but init with a clear error, and keep their bytes; a
// missing file is an error for the read commands, which create nothing.
func TestNonLedgersAreRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, keyFile, _ := func() (string, string, string) { d, _, k, p := auditLedger(t); return d, k, p }()
	empty, text, other := filepath.Join(dir, "empty.db"), filepath.Join(dir, "notes.txt"), filepath.Join(dir, "other.db")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	require.NoError(t, os.WriteFile(text, []byte("minutes of the meeting\n"), 0o644))
	raw, err := sql.Open("sqlite", sqlite.DSN(other))
	require.NoError(t, err)
	_, err = raw.Exec(`CREATE TABLE notes (x TEXT)`)
	require.NoError(t, err)
	require.NoError(t, raw.Close())
	newer := filepath.Join(dir, "newer.db")
	code, _, errOut := runCLI(t, "", "init", "--db", newer)
	require.Equal(t, 0, code, errOut)
	raw, err = sql.Open("sqlite", sqlite.DSN(newer))
	require.NoError(t, err)
	_, err = raw.Exec(`INSERT INTO eventstore_migrations (version, name, applied_at) VALUES (99, 'from the future', '')`)
	require.NoError(t, err)
	require.NoError(t, raw.Close())

	out := t.TempDir()
	const someEvent = "0190f0e0-0000-7000-8000-000000000001"
	for _, tc := range []struct {
		name, path, says string
	}{
		{"empty file", empty, "not a ledger"},
		{"text file", text, "not a ledger"},
		{"SQLite file without events", other, "not a ledger"},
		{"newer schema", newer, "newer than this program"},
	} {
		commands := append(readCommands(tc.path, "T-1", someEvent, out),
			[]string{"seal", "--db", tc.path, "--key", keyFile},
			[]string{"project", "--db", tc.path},
			[]string{"rebuild", "--db", tc.path},
			[]string{"exec", "--db", tc.path, "-"},
			[]string{"demo", "--db", tc.path, "--tickets", "1"},
		)
		for _, args := range commands {
			before := testenv.LedgerFiles(t, tc.path)
			code, stdout, errOut := runCLI(t, "", args...)
			assert.Equal(t, 1, code, "%s: %v: %s", tc.name, args, stdout)
			assert.Contains(t, errOut, tc.says, "%s: %v", tc.name, args)
			assert.Equal(t, before, testenv.LedgerFiles(t, tc.path), "%s: %v changed the file", tc.name, args)
		}
	}

	missing := filepath.Join(dir, "none.db")
	writers := [][]string{
		{"seal", "--db", missing, "--key", keyFile},
		{"project", "--db", missing},
		{"scheduler", "--db", missing},
		{"forward", "--db", missing, "--nats", "nats://127.0.0.1:1"},
	}
	for _, args := range append(readCommands(missing, "T-1", someEvent, out), writers...) {
		code, _, errOut := runCLI(t, "", args...)
		assert.Equal(t, 1, code, "%v", args)
		assert.Contains(t, errOut, "no such file", "%v", args)
		assert.NoFileExists(t, missing, "%v created the ledger it was asked to read", args)
	}

	// An explicit init is the one way to turn an empty file into a ledger.
	code, stdout, errOut := runCLI(t, "", "init", "--db", empty)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, stdout, "ready")
	code, _, errOut = runCLI(t, "", "show", "--db", empty, "T-1")
	assert.Equal(t, 1, code)
	assert.True(t, strings.Contains(errOut, "not found"), errOut)
	code, _, errOut = runCLI(t, "", "init", "--db", text)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "not a ledger")
}

// TestReadCommandsBesideAWriter runs every read command while another
// connection holds the ledger's write lock mid-transaction: a command that
// opened the file to write (to migrate, to create a table) would wait for
// the lock and fail; one that only reads goes ahead.
func TestReadCommandsBesideAWriter(t *testing.T) {
	t.Parallel()
	db, ticket, eventID := sealedLedger(t)
	conn, err := sql.Open("sqlite", sqlite.DSN(db))
	require.NoError(t, err)
	defer conn.Close()
	tx, err := conn.Begin() // BEGIN IMMEDIATE: the write lock
	require.NoError(t, err)
	defer func() { _ = tx.Rollback() }()
	_, err = tx.Exec(`CREATE TABLE writer_was_here (x INTEGER)`)
	require.NoError(t, err)
	out := t.TempDir()
	for _, args := range readCommands(db, ticket, eventID, out) {
		code, stdout, errOut := runCLI(t, "", args...)
		assert.Equal(t, 0, code, "%v: %s%s", args, stdout, errOut)
	}
}
