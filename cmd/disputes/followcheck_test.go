package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/cmd/internal/readmodels"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/follow"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/supervise"
	"github.com/disputes-ledger/disputes/projections"
)

// deadReads is a store whose reads of the global log fail, like a database
// that went away: the projector's follower retries them by itself.
type deadReads struct {
	eventstore.Store
	err error
}

func (d deadReads) ReadAll(context.Context, uint64, int) ([]eventstore.RecordedEvent, error) {
	return nil, d.err
}

func TestReadinessShowsAProjectorRetryingAFailingStoreAsNotReady(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	real, err := sqlite.Open(ctx, filepath.Join(dir, "ledger.db"), sqlite.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = real.Close() })
	db, err := readmodels.Open(ctx, readmodels.Where{Dialect: projections.SQLite, Path: filepath.Join(dir, "read-models.db")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.SQL.Close() })
	store := deadReads{Store: real, err: errors.New("connection refused")}

	reg := supervise.NewRegistry()
	var running runningFollower
	c := reg.Add("projector", false, running.check)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(ctx, func(ctx context.Context) error {
			p := projections.NewProjector(store, db, projections.Default(db, policy.Default()), projections.Options{Follow: true})
			defer running.run(p)()
			_, err := p.Run(ctx)
			return err
		}, supervise.Options{})
	}()

	var st supervise.Status
	require.Eventually(t, func() bool {
		st = reg.Snapshot()[0].Status
		return strings.Contains(st.LastError, "retrying")
	}, 5*time.Second, 10*time.Millisecond, "the projector's follower never showed as retrying: %+v", st)
	assert.Equal(t, supervise.Starting, st.State)
	assert.Contains(t, st.LastError, "connection refused")
	assert.False(t, supervise.Ready(reg.Snapshot()), "a projector stuck retrying holds readiness back")
	assert.Zero(t, st.Restarts, "the follower retried by itself; the supervisor never restarted the job")
	cancel()
	<-done
}

func TestFollowerHealth(t *testing.T) {
	failure := errors.New("read global log: connection refused")
	for _, tc := range []struct {
		st      follow.Status
		healthy bool
	}{
		{follow.Status{State: follow.Idle}, true},
		{follow.Status{State: follow.CatchingUp, Lag: 900}, true},
		{follow.Status{State: follow.Live}, true},
		{follow.Status{State: follow.Stopped}, true},
		{follow.Status{Name: "sealer", State: follow.Retrying, Err: failure, Attempt: 3, Lag: 4}, false},
		{follow.Status{Name: "sealer", State: follow.Stopped, Err: failure}, false},
	} {
		t.Run(string(tc.st.State), func(t *testing.T) {
			err := followerHealth(tc.st)
			if tc.healthy {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "connection refused")
			assert.Contains(t, err.Error(), "sealer: "+string(tc.st.State))
		})
	}
}
