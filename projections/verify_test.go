package projections_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/projections"
)

// scratchDB returns an empty read-model database for a rebuild.
func scratchDB(t *testing.T) *projections.DB {
	t.Helper()
	db, err := openSQLite(context.Background(), filepath.Join(t.TempDir(), "scratch.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestVerifyReadModels: read models projected from the log equal their
// rebuild; an edited row (a penalty fact's points) is named with both
// spellings, and read models behind the log are reported, not compared.
func TestVerifyReadModels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := newLedger(t)
	scs := append(scenarios.Seeds(epoch), generate(41, 40, epoch, l.pol)...)
	appendScenarios(t, l.store, l.pol, scs)
	l.runToHead(t)

	checks, err := projections.VerifyReadModels(ctx, l.store, l.db, scratchDB(t), l.pol)
	require.NoError(t, err)
	require.Len(t, checks, len(projections.Default(l.db, l.pol)))
	for _, c := range checks {
		assert.True(t, c.OK(), "%+v", c)
		assert.Positive(t, c.Head)
	}

	// An operator's edit of a derived row.
	_, err = l.db.SQL.Exec(`UPDATE rm_penalty_facts SET points = points + 10 WHERE position = (SELECT min(position) FROM rm_penalty_facts)`)
	require.NoError(t, err)
	checks, err = projections.VerifyReadModels(ctx, l.store, l.db, scratchDB(t), l.pol)
	require.NoError(t, err)
	var failed []projections.ReadModelCheck
	for _, c := range checks {
		if !c.OK() {
			failed = append(failed, c)
		}
	}
	require.Len(t, failed, 1)
	assert.Equal(t, projections.MerchantPenaltiesName, failed[0].Projection)
	require.Len(t, failed[0].Tables, 1)
	d := failed[0].Tables[0]
	assert.Equal(t, "rm_penalty_facts", d.Table)
	assert.Equal(t, 1, d.MissingCount)
	assert.Equal(t, 1, d.ExtraCount)
	require.Len(t, d.Missing, 1)
	require.Len(t, d.Extra, 1)
	assert.NotEqual(t, d.Missing[0], d.Extra[0])

	// New events the read models have not reached.
	appendScenarios(t, l.store, l.pol, generate(43, 3, epoch, l.pol))
	checks, err = projections.VerifyReadModels(ctx, l.store, l.db, scratchDB(t), l.pol)
	require.NoError(t, err)
	for _, c := range checks {
		assert.True(t, c.Behind, c.Projection)
		assert.Less(t, c.Checkpoint, c.Head)
		assert.Empty(t, c.Tables, "a read model behind the log is not compared")
	}
}

// TestVerifyReadModelsNamesADeletedDeadline: the scheduler fires what
// rm_deadlines lists, so an operator who deletes an open deadline's row
// silences that expiry; verify --read-models names the table.
func TestVerifyReadModelsNamesADeletedDeadline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := newLedger(t)
	for _, sc := range scenarios.Seeds(epoch) {
		envs, err := scenarios.Play(sc, l.pol, func() uuid.UUID { return uuid.Must(uuid.NewV7()) })
		require.NoError(t, err)
		raw, err := events.Encode(envs[0]) // opened only: its deadlines stay open
		require.NoError(t, err)
		_, err = l.store.Append(ctx, envs[0].Stream, eventstore.NoStream(),
			[]eventstore.EventData{{ID: envs[0].ID, Type: envs[0].Type, Revision: envs[0].Revision, Data: raw}})
		require.NoError(t, err)
	}
	l.runToHead(t)
	var open int
	require.NoError(t, l.db.SQL.QueryRow(`SELECT count(*) FROM rm_deadlines`).Scan(&open))
	require.Positive(t, open, "opened tickets have open deadlines")

	_, err := l.db.SQL.Exec(`DELETE FROM rm_deadlines WHERE rowid = (SELECT min(rowid) FROM rm_deadlines)`)
	require.NoError(t, err)
	checks, err := projections.VerifyReadModels(ctx, l.store, l.db, scratchDB(t), l.pol)
	require.NoError(t, err)
	var failed []projections.ReadModelCheck
	for _, c := range checks {
		if !c.OK() {
			failed = append(failed, c)
		}
	}
	require.Len(t, failed, 1)
	assert.Equal(t, projections.DeadlinesName, failed[0].Projection)
	require.Len(t, failed[0].Tables, 1)
	assert.Equal(t, "rm_deadlines", failed[0].Tables[0].Table)
	assert.Equal(t, 1, failed[0].Tables[0].MissingCount, "the deleted row is missing from the ledger's copy")
	assert.Zero(t, failed[0].Tables[0].ExtraCount)
}
