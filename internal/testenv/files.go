package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"testing"
)

// LedgerFiles returns the SHA-256 of a SQLite file and of its -wal and
// -shm companions, each "absent" when missing, for tests that a command
// left every byte as it found it.
func LedgerFiles(tb testing.TB, path string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	for _, name := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		data, err := os.ReadFile(name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			out[name] = "absent"
		case err != nil:
			tb.Fatalf("read %s: %v", name, err)
		default:
			sum := sha256.Sum256(data)
			out[name] = hex.EncodeToString(sum[:])
		}
	}
	return out
}
