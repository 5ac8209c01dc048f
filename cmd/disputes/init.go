package main

import (
	"context"
	"fmt"

	"github.com/disputes-ledger/disputes/cmd/internal/storeurl"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// runInit creates a ledger explicitly: the one command besides the writers
// (exec, serve, demo) that makes one, and the only one that takes an empty
// file. Every other command refuses a file that is not a ledger.
// initCmd is `disputes init`.
type initCmd struct {
	storeFlags
}

func (c *initCmd) Run(ctx context.Context, e env) error {
	sf := c.storeFlags
	t, err := storeurl.Parse(sf.url())
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if t.Backend == storeurl.SQLite {
		if err := sqlite.Init(ctx, t.Path); err != nil {
			return fmt.Errorf("init ledger %s: %w", t.Path, err)
		}
	} else {
		store, err := sf.open(ctx)
		if err != nil {
			return err
		}
		if err := store.Close(); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "ledger %s is ready\n", sf.describe())
	return nil
}
