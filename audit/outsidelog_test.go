package audit_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
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
