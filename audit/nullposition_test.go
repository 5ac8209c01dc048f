package audit_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit/sqliteaudit"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// TestTamperEventAtNoPosition, found in session 7's review: rebuild the
// events table STRICT, with the columns' names and types as the ledger
// makes them, but with position not the table's rowid (no PRIMARY KEY:
// a STRICT table's key columns are NOT NULL, its other columns not), and
// append a forged next event of a ticket at position NULL. No read of the
// global log ("position > ?") nor the stray query ("position <= 0") ever
// reaches the row, so verify printed PASS for a ledger holding an event it
// never saw, while every read of that ticket failed on it. The ledger check
// now refuses an events table whose position is not its rowid, for verify
// and for every reader.
func TestTamperEventAtNoPosition(t *testing.T) {
	t.Parallel()
	for name, columns := range map[string]string{
		"position without a key": `position INTEGER, id BLOB NOT NULL UNIQUE, stream TEXT NOT NULL,
			revision INTEGER NOT NULL, type TEXT NOT NULL, data BLOB NOT NULL, UNIQUE (stream, revision)`,
		"position unique but no key": `position INTEGER UNIQUE, id BLOB NOT NULL UNIQUE, stream TEXT NOT NULL,
			revision INTEGER NOT NULL, type TEXT NOT NULL, data BLOB NOT NULL, UNIQUE (stream, revision)`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := copyLedger(t)
			db := rawDB(t, path)
			rs := readRows(t, db)
			last := rs[len(rs)-1]
			conn, err := db.Conn(ctx)
			require.NoError(t, err)
			rebuildEvents(t, conn, columns, "STRICT")

			forged := last.env
			forged.ID = uuid.Must(uuid.NewV7())
			forged.Revision++
			forged.PrevHash = last.env.Hash
			forged.CommandID = "forged-at-no-position"
			forged, data, err := events.Seal(forged)
			require.NoError(t, err)
			_, err = conn.ExecContext(ctx, `INSERT INTO events (position, id, stream, revision, type, data) VALUES (NULL, ?, ?, ?, ?, ?)`,
				forged.ID[:], forged.Stream, forged.Revision, forged.Type, data)
			require.NoError(t, err)
			require.NoError(t, conn.Close())
			require.NoError(t, db.Close())

			if _, err := sqliteaudit.OpenReadOnly(ctx, path); !assert.ErrorIs(t, err, eventstore.ErrCorrupt, "verify refuses to read the rebuilt table") {
				rep := verifyLedger(t, path, sealPub())
				assert.False(t, rep.OK(), "verify passed a ledger holding an event at no position")
			}
			_, err = sqlite.OpenReadOnly(ctx, path, sqlite.Config{})
			assert.ErrorIs(t, err, eventstore.ErrCorrupt, "so do show, history and the server")
		})
	}
}
