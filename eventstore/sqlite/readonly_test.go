package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// writeLedger makes a closed ledger with n events in stream "s".
func writeLedger(t *testing.T, path string, n int) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, sqlite.Config{})
	require.NoError(t, err)
	for i := range n {
		_, err := s.Append(ctx, "s", eventstore.Any(), []eventstore.EventData{{ID: uuid.New(), Type: "t", Revision: uint64(i), Data: fmt.Appendf(nil, `{"i":%d}`, i)}})
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())
}

func readEverything(t *testing.T, s *sqlite.Store, n int) {
	t.Helper()
	ctx := context.Background()
	all, err := s.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	assert.Len(t, all, n)
	if n > 0 {
		evs, err := s.ReadStream(ctx, "s", 0, 0)
		require.NoError(t, err)
		assert.Len(t, evs, n)
	}
	_, err = s.Append(ctx, "s", eventstore.Any(), []eventstore.EventData{{ID: uuid.New(), Type: "t", Revision: uint64(n), Data: []byte(`{}`)}})
	assert.ErrorIs(t, err, sqlite.ErrReadOnly)
}

// TestOpenReadOnlyLeavesBytes: reading a ledger read-only changes no byte
// of it or its companions, even with a WAL left by a writer still open.
func TestOpenReadOnlyLeavesBytes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	writeLedger(t, path, 5)
	before := testenv.LedgerFiles(t, path)
	s, err := sqlite.OpenReadOnly(ctx, path, sqlite.Config{})
	require.NoError(t, err)
	readEverything(t, s, 5)
	require.NoError(t, s.Close())
	assert.Equal(t, before, testenv.LedgerFiles(t, path))
}

// TestOpenReadOnlyOnReadOnlyMedia reads a ledger in a directory nobody may
// write (0555, file 0444). Tests may run as root, whom chmod does not stop,
// so the bytes and the directory's entries are checked too.
func TestOpenReadOnlyOnReadOnlyMedia(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "media")
	require.NoError(t, os.Mkdir(dir, 0o755))
	path := filepath.Join(dir, "ledger.db")
	writeLedger(t, path, 3)
	require.NoError(t, os.Chmod(path, 0o444))
	require.NoError(t, os.Chmod(dir, 0o555))
	t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
	entries := func() []string {
		es, err := os.ReadDir(dir)
		require.NoError(t, err)
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		return names
	}
	before, names := testenv.LedgerFiles(t, path), entries()
	s, err := sqlite.OpenReadOnly(ctx, path, sqlite.Config{})
	require.NoError(t, err)
	readEverything(t, s, 3)
	require.NoError(t, s.Close())
	assert.Equal(t, before, testenv.LedgerFiles(t, path))
	assert.Equal(t, names, entries(), "no -wal or -shm created beside it")
}

// TestNotALedgerIsRefused: nothing but a ledger is opened, read-only or
// not, and a refused file keeps its bytes.
func TestNotALedgerIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	otherDB := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite", sqlite.DSN(otherDB))
	require.NoError(t, err)
	_, err = db.Exec(`CREATE TABLE notes (x TEXT)`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	newer := filepath.Join(dir, "newer.db")
	writeLedger(t, newer, 1)
	db, err = sql.Open("sqlite", sqlite.DSN(newer))
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO eventstore_migrations (version, name, applied_at) VALUES (99, 'from the future', '')`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	empty, text := filepath.Join(dir, "empty.db"), filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	require.NoError(t, os.WriteFile(text, []byte("dear diary, today the ledger\n"), 0o644))

	for _, tc := range []struct {
		name, path string
		want       error
	}{
		{"empty file", empty, sqlite.ErrNotLedger},
		{"text file", text, sqlite.ErrNotLedger},
		{"SQLite file without events", otherDB, sqlite.ErrNotLedger},
		{"newer schema", newer, sqlite.ErrSchemaTooNew},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := testenv.LedgerFiles(t, tc.path)
			_, err := sqlite.OpenReadOnly(ctx, tc.path, sqlite.Config{})
			assert.ErrorIs(t, err, tc.want)
			_, err = sqlite.Open(ctx, tc.path, sqlite.Config{})
			assert.ErrorIs(t, err, tc.want, "a writer refuses it too: never turned into a ledger")
			if tc.want == sqlite.ErrNotLedger && tc.path != empty {
				assert.ErrorIs(t, sqlite.Init(ctx, tc.path), sqlite.ErrNotLedger, "init takes only a missing or empty file")
			}
			assert.Equal(t, before, testenv.LedgerFiles(t, tc.path), "a refused file keeps its bytes")
		})
	}

	missing := filepath.Join(dir, "none.db")
	_, err = sqlite.OpenReadOnly(ctx, missing, sqlite.Config{})
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.NoFileExists(t, missing, "a read creates no file")

	require.NoError(t, sqlite.Init(ctx, empty), "an explicit init takes an empty file")
	s, err := sqlite.OpenReadOnly(ctx, empty, sqlite.Config{})
	require.NoError(t, err)
	readEverything(t, s, 0)
	require.NoError(t, s.Close())
}

// TestOpenReadOnlyBesideAWriter: with a writer's WAL beside the file the
// read-only store reads through it, and sees what the writer appends later.
func TestOpenReadOnlyBesideAWriter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	w, err := sqlite.Open(ctx, path, sqlite.Config{})
	require.NoError(t, err)
	defer w.Close()
	_, err = w.Append(ctx, "s", eventstore.NoStream(), []eventstore.EventData{{ID: uuid.New(), Type: "t", Revision: 0, Data: []byte(`{}`)}})
	require.NoError(t, err)
	require.FileExists(t, path+"-wal")
	r, err := sqlite.OpenReadOnly(ctx, path, sqlite.Config{})
	require.NoError(t, err)
	defer r.Close()
	all, err := r.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	assert.Len(t, all, 1, "the committed event, still in the WAL")
	_, err = w.Append(ctx, "s", eventstore.Exact(0), []eventstore.EventData{{ID: uuid.New(), Type: "t", Revision: 1, Data: []byte(`{}`)}})
	require.NoError(t, err)
	all, err = r.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	assert.Len(t, all, 2, "a later append is seen")
}
