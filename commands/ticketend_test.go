package commands_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// TestLoadWholeTicketSeesAnEventMovedFromTheEnd is the regression test of
// the audit gap "a ticket's last event moved to another stream": the stream
// read alone shows the ticket without it (its chain still links), but
// LoadWholeTicket reads the global log after the ticket and refuses. It
// refuses as well for a ticket that ended before the moved event: the
// store refuses the moved row without saying whose it is, and a reader of a
// whole history is told the log needs verifying rather than shown one that
// may be short.
func TestLoadWholeTicketSeesAnEventMovedFromTheEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	store, err := sqlite.Open(ctx, path, sqlite.Config{})
	require.NoError(t, err)
	h := commands.NewHandler(store, commands.WithClock(func() time.Time { return now }))
	mustHandle(t, h, `{"command_id":"c-open-2","ticket_id":"T-2","actor":{"role":"buyer","id":"b-2"},"command":"open_ticket",
 "data":{"order_id":"O-2","merchant_id":"m-1","kind":"refund_only","reason":"logistics_delay","currency":"CNY","amount_paid":5000,"requested":5000,"order_shipped":true}}`)
	mustHandle(t, h, openLine)
	mustHandle(t, h, `{"command_id":"c-msg","ticket_id":"T-1","actor":{"role":"merchant","id":"m-1"},"command":"post_message","data":{"text":"on it"}}`)

	_, wholeEnvs, err := commands.LoadWholeTicket(ctx, store, "T-1")
	require.NoError(t, err, "an untouched ledger loads whole")
	require.Len(t, wholeEnvs, 2)
	require.NoError(t, store.Close())

	// Move T-1's last event (the message) to another stream.
	raw, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(t, err)
	res, err := raw.ExecContext(ctx, `UPDATE events SET stream = 'ticket-hidden', revision = 0 WHERE stream = ? AND revision = 1`, events.StreamFor("T-1"))
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
	require.NoError(t, raw.Close())

	store, err = sqlite.OpenReadOnly(ctx, path, sqlite.Config{})
	require.NoError(t, err)
	defer store.Close()

	// The gap: the stream read shows one event fewer, and no error.
	_, short, err := commands.LoadTicket(ctx, store, "T-1")
	require.NoError(t, err)
	assert.Len(t, short, 1, "the stream read alone cannot see the moved event")

	// The whole read refuses, naming the corruption.
	_, envs, err := commands.LoadWholeTicket(ctx, store, "T-1")
	require.ErrorIs(t, err, eventstore.ErrCorrupt)
	assert.Nil(t, envs)
	assert.Contains(t, err.Error(), events.StreamFor("T-1"))
	assert.Contains(t, err.Error(), "moved away from its end")

	_, _, err = commands.LoadWholeTicket(ctx, store, "T-2")
	require.ErrorIs(t, err, eventstore.ErrCorrupt, "T-2 ended before the moved event: the check cannot tell whose it is")
}
