package projections

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/follow"
)

// TestDeadlinesDeleteOnlyRowsThatExist commits the first half of every
// ticket's events, then the rest: the first commit deletes nothing (no row
// existed), the second deletes the state of exactly the tickets it closes
// that the first left open, and the deadline rows of exactly those whose
// rows stood non-empty. The tables end as the domain's fold has them.
func TestDeadlinesDeleteOnlyRowsThatExist(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pol := policy.Default()
	start := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	var first, second []events.Envelope
	folded := map[string]domain.Ticket{}
	for _, sc := range append(scenarios.Seeds(start), scenarios.Generate(11, 40, start, pol)...) {
		envs, err := scenarios.Play(sc, pol, func() uuid.UUID { return uuid.Must(uuid.NewV7()) })
		require.NoError(t, err)
		half := len(envs) / 2
		first, second = append(first, envs[:half]...), append(second, envs[half:]...)
		folded[events.TicketOf(envs[0].Stream)] = domain.Replay(envs)
	}
	db := openTestDB(t)
	d := NewDeadlines(db)
	for _, tbl := range d.Schema().Tables {
		_, err := db.SQL.ExecContext(ctx, db.Dialect.Table(tbl.DDL))
		require.NoError(t, err)
	}
	pos := uint64(0)
	apply := func(envs []events.Envelope) {
		for _, env := range envs {
			raw, err := events.Encode(env)
			require.NoError(t, err)
			pos++
			require.NoError(t, d.Apply(ctx, follow.Event{Env: env, Record: eventstore.RecordedEvent{
				ID: env.ID, Stream: env.Stream, Revision: env.Revision, Type: env.Type, Data: raw, Position: pos}}))
		}
	}
	ids := func(keys rows) []string {
		out := []string{}
		for _, v := range keys.vals {
			out = append(out, v.(string))
		}
		return out
	}

	apply(first)
	require.NoError(t, d.prepare())
	assert.Empty(t, ids(d.gone), "no ticket had a state row to delete")
	assert.Empty(t, ids(d.closedOrMoved), "no ticket had deadline rows to delete")
	openAtCommit, withRows := map[string]bool{}, map[string]bool{}
	for id, e := range d.cache {
		if !e.t.Closed() {
			openAtCommit[id] = true
			withRows[id] = len(e.t.OpenDeadlines()) > 0
		}
	}
	require.NotEmpty(t, openAtCommit)
	require.NoError(t, db.write(ctx, d.Flush))
	d.Committed()

	apply(second)
	require.NoError(t, d.prepare())
	for _, id := range ids(d.gone) {
		assert.True(t, openAtCommit[id], "%s: a state row is deleted only if the first commit wrote it", id)
	}
	for _, id := range ids(d.closedOrMoved) {
		assert.True(t, withRows[id], "%s: deadline rows are deleted only if the first commit wrote some", id)
	}
	require.NoError(t, db.write(ctx, d.Flush))
	d.Committed()

	var states, deadlines int
	require.NoError(t, db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM rm_deadline_tickets`).Scan(&states))
	require.NoError(t, db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM rm_deadlines`).Scan(&deadlines))
	wantStates, wantDeadlines := 0, 0
	for _, tk := range folded {
		if !tk.Closed() {
			wantStates++
			wantDeadlines += len(tk.OpenDeadlines())
		}
	}
	assert.Equal(t, wantStates, states, "a state row for every open ticket, none for a closed one")
	assert.Equal(t, wantDeadlines, deadlines, "the open tickets' open deadlines, no closed ticket's")
}
