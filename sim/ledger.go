package sim

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/sqliteaudit"
	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/commands/scheduler"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/clock"
	"github.com/disputes-ledger/disputes/projections"
)

// ledger is one "process" of the simulated ledger: everything that lives
// in memory — the store's connections, the command handlers, two
// schedulers, the projector and the sealer — over the files on disk. A
// crash closes it and opens another over the same files.
type ledger struct {
	store  *sqlite.Store
	faults *faultStore
	// wrapped is what the parts write and read through: faults, and a
	// mutant's wrapper if one is planted.
	wrapped eventstore.Store
	seals   *sqliteaudit.Store
	rm      *projections.DB

	handler   *commands.Handler // the API's
	scheds    [2]*scheduler.Scheduler
	projector *projections.Projector
	sealer    *audit.Sealer
}

// hooks are where the mutant suite plants its bugs: each wraps a real
// part the way a bug in it would behave. Nil hooks leave the parts alone.
type hooks struct {
	// store wraps the store every part writes and reads through.
	store func(eventstore.Store) eventstore.Store
	// projections wraps the read models the projector runs.
	projections func(db *projections.DB, ps []projections.Projection) []projections.Projection
	// crashed is told of every crash, before the new process opens.
	crashed func()
	// refused is told of every command the handler refused, with the
	// store it wrote to.
	refused func(ctx context.Context, store eventstore.Store, req commands.Request, cmd domain.Command)
}

func ledgerPaths(dir string) (events, readModels string) {
	return filepath.Join(dir, "ledger.db"), filepath.Join(dir, "readmodels.db")
}

// openLedger opens the ledger's files in dir (creating them on the first
// call) and starts its parts on clk, none of them running on its own: the
// simulation's loop steps each.
func openLedger(ctx context.Context, dir string, clk *clock.ManualClock, pol policy.Policy, key ed25519.PrivateKey, h hooks, onAppend func(string, []eventstore.EventData, eventstore.AppendResult)) (_ *ledger, err error) {
	evPath, rmPath := ledgerPaths(dir)
	l := &ledger{}
	defer func() {
		if err != nil {
			err = errors.Join(err, l.close())
		}
	}()
	if l.store, err = sqlite.Open(ctx, evPath, sqlite.Config{MaxBatchWait: -1}); err != nil {
		return nil, fmt.Errorf("open the events: %w", err)
	}
	l.faults = newFaultStore(l.store)
	l.faults.onAppend = onAppend
	var store eventstore.Store = l.faults
	if h.store != nil {
		store = h.store(store)
	}
	l.wrapped = store
	if l.seals, err = sqliteaudit.Open(ctx, evPath); err != nil {
		return nil, fmt.Errorf("open the seals: %w", err)
	}
	if l.rm, err = openReadModels(ctx, rmPath); err != nil {
		return nil, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	l.handler = commands.NewHandler(store, commands.WithClock(clk.Now), commands.WithPolicy(pol))
	for i := range l.scheds {
		// Each scheduler has its own handler, as two replicas would. One
		// worker: expiries are fired in the order the read model lists
		// them, not in the order goroutines happen to run.
		sh := commands.NewHandler(store, commands.WithClock(clk.Now), commands.WithPolicy(pol))
		if l.scheds[i], err = scheduler.New(scheduler.Config{Deadlines: projections.DeadlineSource(l.rm), Handler: sh,
			Clock: clk, Logger: quiet, Workers: 1, RetryDelay: time.Nanosecond}); err != nil {
			return nil, err
		}
	}
	projs := projections.Default(l.rm, pol)
	if h.projections != nil {
		projs = h.projections(l.rm, projs)
	}
	l.projector = projections.NewProjector(store, l.rm, projs, projections.Options{Now: clk.Now, MaxRetries: 3,
		RetryInterval: time.Millisecond, MaxRetryInterval: time.Millisecond, Logger: quiet})
	if l.sealer, err = audit.NewSealer(store, l.seals, key, clk.Now); err != nil {
		return nil, err
	}
	return l, nil
}

// close ends the process: every connection closed, every memory dropped.
func (l *ledger) close() error {
	var errs []error
	if l.rm != nil {
		errs = append(errs, l.rm.Close())
	}
	if l.seals != nil {
		errs = append(errs, l.seals.Close())
	}
	if l.store != nil {
		errs = append(errs, l.store.Close())
	}
	return errors.Join(errs...)
}

// openReadModels opens (or creates) a read-model database in an SQLite file.
func openReadModels(ctx context.Context, path string) (*projections.DB, error) {
	db, err := sql.Open("sqlite", sqlite.RebuildableDSN(path))
	if err != nil {
		return nil, fmt.Errorf("open the read models %s: %w", path, err)
	}
	rm, err := projections.NewDB(ctx, db, projections.SQLite)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open the read models %s: %w", path, err), db.Close())
	}
	return rm, nil
}
