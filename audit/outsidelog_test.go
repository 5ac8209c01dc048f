package audit_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/sqliteaudit"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// TestTamperEventOutsideTheLog is the attack found auditing the SQLite file:
// an operator appends a forged event to a ticket — correctly chained to the
// ticket's last event — at position 0 or below. SQLite's INTEGER PRIMARY KEY
// takes any value, the global log (ReadAll from position 1) never reaches
// the row, so the sealer never seals it and verify once printed PASS; yet a
// read of the ticket's stream (`show`, GET /v1/tickets/{id}) included it.
// Verify now names it (outside_log) and the stream read refuses it.
func TestTamperEventOutsideTheLog(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		position int64
	}{
		{"at position 0", 0},
		{"at position -1", -1},
		{"far below", -1 << 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := copyLedger(t)
			db := rawDB(t, path)
			rs := readRows(t, db)
			last := rs[len(rs)-1]

			// A forged next event of the last event's ticket, chained to it.
			forged := last.env
			forged.ID = uuid.Must(uuid.NewV7())
			forged.Revision++
			forged.PrevHash = last.env.Hash
			forged.CommandID = "forged-outside-the-log"
			forged, data, err := events.Seal(forged)
			require.NoError(t, err)
			_, err = db.Exec(`INSERT INTO events (position, id, stream, revision, type, data) VALUES (?, ?, ?, ?, ?, ?)`,
				tc.position, forged.ID[:], forged.Stream, forged.Revision, forged.Type, data)
			require.NoError(t, err)

			rep := verifyLedger(t, path, sealPub())
			assert.Equal(t, []audit.Check{audit.CheckOutsideLog}, checksOf(rep))
			require.Len(t, rep.Of(audit.CheckOutsideLog), 1)
			f := rep.Of(audit.CheckOutsideLog)[0]
			assert.Equal(t, ticketOf(last), f.Ticket)
			require.NotNil(t, f.Revision)
			assert.Equal(t, forged.Revision, *f.Revision)
			assert.False(t, rep.OK())

			store, err := sqlite.OpenReadOnly(ctx, path, sqlite.Config{})
			require.NoError(t, err)
			defer store.Close()
			_, err = store.ReadStream(ctx, forged.Stream, 0, 0)
			assert.ErrorIs(t, err, eventstore.ErrCorrupt, "a stream read refuses the row outside the log")
			_, err = store.ReadStreamBackward(ctx, forged.Stream, forged.Revision, 1)
			assert.ErrorIs(t, err, eventstore.ErrCorrupt)
		})
	}
}

// rebuildEvents recreates the events table with columns (its declaration
// between the parentheses) and options, keeping every row, as an operator
// with the file could.
func rebuildEvents(t *testing.T, conn *sql.Conn, columns, options string) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`BEGIN`,
		`CREATE TABLE events_rebuilt (` + columns + `) ` + options,
		`INSERT INTO events_rebuilt SELECT * FROM events`,
		`DROP TABLE events`,
		`ALTER TABLE events_rebuilt RENAME TO events`,
		`CREATE INDEX events_type_position ON events (type, position)`,
		`COMMIT`,
	} {
		_, err := conn.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
}

const (
	strictColumns = `position INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, stream TEXT NOT NULL,
		revision INTEGER NOT NULL, type TEXT NOT NULL, data BLOB NOT NULL, UNIQUE (stream, revision)`
	anyStreamColumns = `position INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, stream ANY NOT NULL,
		revision INTEGER NOT NULL, type TEXT NOT NULL, data BLOB NOT NULL, UNIQUE (stream, revision)`
)

// TestTamperStreamStoredAsBlob is the second attack found auditing the
// SQLite file: rebuild the events table without STRICT (or with a column
// declared ANY) and store one event's stream name as a BLOB of the same
// bytes. The global log still read the row, its bytes still matched the
// signed ones and the seals, so verify printed PASS; but a stream read
// ("stream = ?" compares with text) never found it, so `show` reported the
// counterfeit ruling's ticket as ruled, without its refund and compensation.
// An events table not as the ledger made it is now refused on open; a row
// of the wrong storage class behind a schema edited back to STRICT is a
// column_mismatch finding.
func TestTamperStreamStoredAsBlob(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		columns string
		options string
		// restoreStrict edits the schema text back to STRICT afterwards.
		restoreStrict bool
	}{
		{name: "table rebuilt without STRICT", columns: strictColumns},
		{name: "stream declared ANY", columns: anyStreamColumns, options: "STRICT"},
		{name: "schema text edited back to STRICT", columns: strictColumns, restoreStrict: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := copyLedger(t)
			db := rawDB(t, path)
			rs := readRows(t, db)
			target := rs[len(rs)-1]
			conn, err := db.Conn(ctx)
			require.NoError(t, err)
			rebuildEvents(t, conn, tc.columns, tc.options)
			_, err = conn.ExecContext(ctx, `UPDATE events SET stream = CAST(stream AS BLOB) WHERE position = ?`, target.pos)
			require.NoError(t, err)
			if tc.restoreStrict {
				_, err = conn.ExecContext(ctx, `PRAGMA writable_schema = ON`)
				require.NoError(t, err)
				_, err = conn.ExecContext(ctx, `UPDATE sqlite_master SET sql = sql || ' STRICT' WHERE name = 'events'`)
				require.NoError(t, err)
			}
			require.NoError(t, conn.Close())
			require.NoError(t, db.Close())

			if !tc.restoreStrict {
				_, err := sqliteaudit.OpenReadOnly(ctx, path)
				assert.ErrorIs(t, err, eventstore.ErrCorrupt, "verify refuses to read the rebuilt table")
				_, err = sqlite.OpenReadOnly(ctx, path, sqlite.Config{})
				assert.ErrorIs(t, err, eventstore.ErrCorrupt, "so do show, history and the server")
				return
			}
			rep := verifyLedger(t, path, sealPub())
			assert.Equal(t, []audit.Check{audit.CheckColumnMismatch}, checksOf(rep))
			f := requireFinding(t, rep, audit.CheckColumnMismatch, target.pos)
			assert.Equal(t, ticketOf(target), f.Ticket)
			assert.Contains(t, f.Message, "stream blob")
		})
	}
}
