package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// TestEventsTableMustKeepPositionAsItsRowid: an events table rebuilt STRICT
// with the ledger's column names and types, but whose position is not an
// alias of its rowid, is refused as corrupt (a plain position column can
// hold NULL, which no read of the log reaches: TestTamperEventAtNoPosition
// in audit). The table as the ledger makes it is not.
func TestEventsTableMustKeepPositionAsItsRowid(t *testing.T) {
	t.Parallel()
	const rest = `id BLOB NOT NULL UNIQUE, stream TEXT NOT NULL, revision INTEGER NOT NULL, type TEXT NOT NULL,
		data BLOB NOT NULL, UNIQUE (stream, revision)`
	for name, tc := range map[string]struct {
		columns, options string
		refused          bool
	}{
		"as the ledger makes it":       {`position INTEGER PRIMARY KEY, ` + rest, "STRICT", false},
		"position without a key":       {`position INTEGER, ` + rest, "STRICT", true},
		"position PRIMARY KEY DESC":    {`position INTEGER PRIMARY KEY DESC, ` + rest, "STRICT", true},
		"a key of two columns":         {`position INTEGER, ` + rest + `, PRIMARY KEY (position, id)`, "STRICT", true},
		"a table WITHOUT ROWID":        {`position INTEGER PRIMARY KEY, ` + rest, "STRICT, WITHOUT ROWID", true},
		"a key on another column only": {`position INTEGER, id BLOB NOT NULL PRIMARY KEY, stream TEXT NOT NULL, revision INTEGER NOT NULL, type TEXT NOT NULL, data BLOB NOT NULL, UNIQUE (stream, revision)`, "STRICT", true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "ledger.db")
			require.NoError(t, sqlite.Init(ctx, path))
			db, err := sql.Open("sqlite", sqlite.RebuildableDSN(path))
			require.NoError(t, err)
			for _, q := range []string{
				`CREATE TABLE events_rebuilt (` + tc.columns + `) ` + tc.options,
				`INSERT INTO events_rebuilt SELECT * FROM events`,
				`DROP TABLE events`,
				`ALTER TABLE events_rebuilt RENAME TO events`,
				`CREATE INDEX events_type_position ON events (type, position)`,
			} {
				_, err := db.ExecContext(ctx, q)
				require.NoError(t, err, q)
			}
			require.NoError(t, db.Close())
			store, err := sqlite.OpenReadOnly(ctx, path, sqlite.Config{})
			if !tc.refused {
				require.NoError(t, err)
				require.NoError(t, store.Close())
				return
			}
			assert.ErrorIs(t, err, eventstore.ErrCorrupt)
			assert.ErrorContains(t, err, "position is not its rowid")
		})
	}
}
