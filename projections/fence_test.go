package projections_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/projections"
)

var errNotOwner = fmt.Errorf("another replica holds the lease: %w", projections.ErrFenced)

// TestFenceRefusesTheWholePage: a projector whose fence fails writes
// nothing — no rows, no checkpoint — and stops, naming the fence's error.
func TestFenceRefusesTheWholePage(t *testing.T) {
	l := newLedger(t)
	appendScenarios(t, l.store, l.pol, scenarios.Seeds(epoch))
	ctx := context.Background()
	calls := 0
	rep, err := l.projector(projections.Options{Fence: func(_ context.Context, tx *sql.Tx) error {
		calls++
		_ = tx
		return errNotOwner
	}}).Run(ctx)
	require.ErrorIs(t, err, projections.ErrStopped)
	assert.Positive(t, calls)
	for _, pr := range rep.Projections {
		assert.ErrorIs(t, pr.Err, errNotOwner, pr.Name)
		assert.Zero(t, pr.To, "%s: no checkpoint moved", pr.Name)
	}
	for _, table := range readModelTables {
		assert.Empty(t, rowsOf(t, l.db.SQL, `SELECT * FROM `+table), table)
	}

	rep, err = l.projector(projections.Options{Fence: func(context.Context, *sql.Tx) error { return nil }}).Run(ctx)
	require.NoError(t, err)
	for _, pr := range rep.Projections {
		assert.Positive(t, pr.To, "%s: a passing fence lets the owner write", pr.Name)
	}
}

// TestFenceIsRaisedBeforeTheCheckpointsAreRead: a new owner raises its
// fence in a transaction of its own before it reads its checkpoints, so a
// previous owner's commit still under way is either before the read or
// refused — never a checkpoint moved under the new owner, which would stop
// its projection. A refused fence is met there, before any page.
func TestFenceIsRaisedBeforeTheCheckpointsAreRead(t *testing.T) {
	l := newLedger(t)
	appendScenarios(t, l.store, l.pol, scenarios.Seeds(epoch))
	_, err := l.projector(projections.Options{Fence: func(context.Context, *sql.Tx) error { return errNotOwner }}).Run(context.Background())
	require.ErrorIs(t, err, projections.ErrStopped)
	assert.ErrorContains(t, err, "raise the fence before reading the checkpoints")
	for _, table := range readModelTables {
		assert.Empty(t, rowsOf(t, l.db.SQL, `SELECT * FROM `+table), table)
	}
}

// TestFenceThatCannotBeAskedIsRetried: a fence that fails without refusing
// (its connection dropped, say) is a database failure like any other: the
// page is not written, and it is written once the fence answers again —
// the read model does not stop for good while the projector looks healthy.
func TestFenceThatCannotBeAskedIsRetried(t *testing.T) {
	l := newLedger(t)
	appendScenarios(t, l.store, l.pol, scenarios.Seeds(epoch))
	dropped := errors.New("connection reset by peer")
	calls := 0
	rep, err := l.projector(projections.Options{Fence: func(context.Context, *sql.Tx) error {
		calls++
		if calls == 2 || calls == 3 { // the first call raises the fence; the next ones guard pages
			return dropped
		}
		return nil
	}}).Run(context.Background())
	require.NoError(t, err)
	assert.Greater(t, calls, 3, "the fence was asked again after it failed")
	for _, pr := range rep.Projections {
		require.NoError(t, pr.Err, pr.Name)
		assert.Positive(t, pr.To, "%s: written once the fence answered", pr.Name)
	}
}
