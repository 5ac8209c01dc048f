package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/commands/scheduler"
	"github.com/disputes-ledger/disputes/internal/supervise"
	"github.com/disputes-ledger/disputes/projections"
)

// schedulerCmd is `disputes scheduler`: the deadline scheduler on its own,
// for a ledger served elsewhere or run without `serve`. It fires from the
// open-deadlines read model (rm_deadlines), which it keeps itself unless
// told another process keeps it. It fires only while it holds the ledger's
// "scheduler" lease — the one serve's scheduler takes (in the PostgreSQL
// schema, or the SQLite file) — so any number of schedulers and serve
// replicas on one ledger have one firing at a time, the others standing by
// to take over.
type schedulerCmd struct {
	storeFlags
	readModelFlags
	clockFlags
	logFlags
	Replicas     replicaFlags `embed:""`
	NoProjection bool         `name:"no-projection" help:"read the open deadlines from read models another process keeps ('serve', 'project --follow') instead of keeping them here"`
}

func (c *schedulerCmd) Run(ctx context.Context, e env) error {
	sf, rf, cf, lf := c.storeFlags, c.readModelFlags, c.clockFlags, c.logFlags
	logger, err := lf.logger(e.stderr)
	if err != nil {
		return err
	}
	pol, err := sf.loadPolicy()
	if err != nil {
		return err
	}
	store, err := sf.openExisting(ctx) // it fires deadlines of a ledger; it never makes one
	if err != nil {
		return err
	}
	defer store.Close()
	// The leases, and on PostgreSQL the scaled clock's origin, are serve's.
	bg, err := openBackground(ctx, sf, c.Replicas, logger)
	if err != nil {
		return err
	}
	clock, err := bg.sharedClock(ctx, cf)
	if err != nil {
		bg.close()
		return err
	}
	db, err := rf.open(ctx, sf)
	if err != nil {
		bg.close()
		return err
	}
	defer db.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	projectionErr := make(chan error, 1)
	if !c.NoProjection {
		p := projections.NewProjector(store, db, []projections.Projection{projections.NewDeadlines(db)},
			projections.Options{Follow: true, Now: clock.Now})
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := p.Run(ctx); err != nil && ctx.Err() == nil {
				projectionErr <- fmt.Errorf("deadline projection: %w", err)
			}
		}()
	}
	h := commands.NewHandler(store, commands.WithClock(clock.Now), commands.WithPolicy(pol))
	var totals schedulerTotals
	bg.runLeased(ctx, "scheduler", false, nil, bg.lease("scheduler", true), func(ctx context.Context, _ uint64) error {
		sched, err := scheduler.New(scheduler.Config{Deadlines: projections.DeadlineSource(db), Handler: h, Clock: clock, Logger: logger})
		if err != nil {
			return supervise.Permanent(err)
		}
		defer func() { totals.add(sched.Status()) }()
		return sched.Run(ctx) // returns when ctx ends (the lease lost, or the command stopped); a failed step is logged and retried
	})
	logger.Info("scheduler running: fires while it holds the scheduler lease", "store", sf.describe(),
		"clock", clock.Now().UTC().Format(time.RFC3339), "keeps_read_model", !c.NoProjection)
	var failed error
	select {
	case <-ctx.Done():
	case failed = <-projectionErr: // firing from a read model that no longer follows the log would miss deadlines
		logger.Error("deadline projection stopped", "err", failed)
	}
	cancel()
	wg.Wait()
	bg.close() // waits for the scheduler to stop and releases its lease
	st := totals.with(nil)
	logger.Info("scheduler stopped", "fired", st.Fired, "duplicates", st.Duplicates, "stale", st.Stale, "refused", st.Refused, "failed", st.Failed)
	return failed
}
