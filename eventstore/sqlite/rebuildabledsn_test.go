package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The read models' connections map none of their file: mapped pages count
// as resident and would grow with the read models (a rebuild of a million
// events held 256 MiB of them). DSN's connections map the ledger.
func TestRebuildableDSNMapsNothing(t *testing.T) {
	for _, c := range []struct {
		name string
		dsn  func(string) string
		want int64
	}{
		{"RebuildableDSN", RebuildableDSN, 0},
		{"DSN", DSN, mmapSize},
	} {
		t.Run(c.name, func(t *testing.T) {
			db, err := sql.Open("sqlite", c.dsn(filepath.Join(t.TempDir(), "rm.db")))
			require.NoError(t, err)
			defer db.Close()
			var mmap int64
			require.NoError(t, db.QueryRow("PRAGMA mmap_size").Scan(&mmap))
			assert.Equal(t, c.want, mmap)
			var sync int
			require.NoError(t, db.QueryRow("PRAGMA synchronous").Scan(&sync))
			assert.Equal(t, map[string]int{"RebuildableDSN": 1, "DSN": 2}[c.name], sync)
		})
	}
}
