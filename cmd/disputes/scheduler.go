package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/commands/scheduler"
	"github.com/disputes-ledger/disputes/projections"
)

// schedulerCmd is `disputes scheduler`: the deadline scheduler on its own,
// for a ledger served elsewhere or run without `serve`. It fires from the
// open-deadlines read model (rm_deadlines), which it keeps itself unless
// told another process keeps it. Any number may run against one ledger;
// each expiry is still recorded once.
type schedulerCmd struct {
	storeFlags
	readModelFlags
	clockFlags
	logFlags
	NoProjection bool `name:"no-projection" help:"read the open deadlines from read models another process keeps ('serve', 'project --follow') instead of keeping them here"`
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
	// On PostgreSQL a scaled clock takes the ledger's origin, as serve's do.
	bg, err := openBackground(ctx, sf, replicaFlags{LeaseTTL: 3 * time.Second, RestartBackoffMax: 10 * time.Second}, logger)
	if err != nil {
		return err
	}
	defer bg.close()
	clock, err := bg.sharedClock(ctx, cf)
	if err != nil {
		return err
	}
	db, err := rf.open(ctx, sf)
	if err != nil {
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
	sched, err := scheduler.New(scheduler.Config{Deadlines: projections.DeadlineSource(db), Handler: h, Clock: clock, Logger: logger})
	if err != nil {
		return err
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = sched.Run(ctx) // returns when ctx ends; a failed step is logged and retried
	}()
	logger.Info("scheduler running", "store", sf.describe(), "clock", clock.Now().UTC().Format(time.RFC3339), "keeps_read_model", !c.NoProjection)
	var failed error
	select {
	case <-ctx.Done():
	case failed = <-projectionErr: // firing from a read model that no longer follows the log would miss deadlines
		logger.Error("deadline projection stopped", "err", failed)
	}
	cancel()
	wg.Wait()
	st := sched.Status()
	logger.Info("scheduler stopped", "fired", st.Fired, "duplicates", st.Duplicates, "stale", st.Stale, "refused", st.Refused, "failed", st.Failed)
	return failed
}
