package main

import (
	"context"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/commands/scheduler"
)

// runScheduler is `disputes scheduler`: the deadline scheduler on its own,
// for a ledger served elsewhere or run without `serve`. Any number may run
// against one ledger; each expiry is still recorded once.
// schedulerCmd is `disputes scheduler`.
type schedulerCmd struct {
	storeFlags
	clockFlags
	logFlags
}

func (c *schedulerCmd) Run(ctx context.Context, e env) error {
	sf, cf, lf := c.storeFlags, c.clockFlags, c.logFlags
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
	h := commands.NewHandler(store, commands.WithClock(clock.Now), commands.WithPolicy(pol))
	sched, err := scheduler.New(scheduler.Config{Store: store, Handler: h, Clock: clock, Logger: logger})
	if err != nil {
		return err
	}
	logger.Info("scheduler running", "store", sf.describe(), "clock", clock.Now().UTC().Format(time.RFC3339))
	if err := sched.Run(ctx); err != nil {
		return err
	}
	st := sched.Stats()
	logger.Info("scheduler stopped", "fired", st.Fired, "duplicates", st.Duplicates, "refused", st.Refused, "failed", st.Failed)
	return nil
}
