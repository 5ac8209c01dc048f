package main

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// TestShowRefusesATicketWhoseLastEventMoved: with a ticket's last event
// moved to another stream (its chain still links without it), show and
// history refuse the ticket rather than show it one event short, as
// verify refuses the ledger.
func TestShowRefusesATicketWhoseLastEventMoved(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ledger.db")
	code, _, errOut := runCLI(t, "", "demo", "--db", db, "--tickets", "5")
	require.Equal(t, 0, code, errOut)

	const ticket = "AS20261104SC" // the counterfeit seed
	code, out, errOut := runCLI(t, "", "show", "--db", db, ticket)
	require.Equal(t, 0, code, out+errOut)

	raw, err := sql.Open("sqlite", sqlite.DSN(db))
	require.NoError(t, err)
	res, err := raw.Exec(`UPDATE events SET stream = 'ticket-hidden', revision = 0
		WHERE position = (SELECT max(position) FROM events WHERE stream = ?)`, "ticket-"+ticket)
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
	require.NoError(t, raw.Close())

	for _, cmd := range []string{"show", "history"} {
		code, out, errOut = runCLI(t, "", cmd, "--db", db, ticket)
		assert.Equal(t, 1, code, "%s: %s", cmd, out+errOut)
		assert.Contains(t, errOut, "moved away from its end", cmd)
		assert.NotContains(t, out, ticket, "%s shows nothing of the ticket", cmd)
	}
}
