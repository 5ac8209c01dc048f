package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/disputes-ledger/disputes/cmd/internal/storeurl"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/follow"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/clock"
	"github.com/disputes-ledger/disputes/internal/coord"
	"github.com/disputes-ledger/disputes/internal/supervise"
)

// replicaFlags choose how `serve` shares its background work with other
// replicas of the same ledger.
type replicaFlags struct {
	LeaseTTL          time.Duration `name:"lease-ttl" default:"3s" help:"how long a replica's lease on a background job (projector, sealer, scheduler, forwarder) lasts unless renewed — in the ledger's PostgreSQL schema, or in an SQLite ledger file between the processes sharing it (serve, disputes scheduler); a standby takes over this long after the owner dies"`
	ReplicaName       string        `name:"replica-name" env:"DISPUTES_REPLICA_NAME" help:"this replica's name in the lease table (default host:pid:random)"`
	RestartBackoffMax time.Duration `name:"restart-backoff-max" default:"10s" help:"longest wait before restarting a background job after an error (the wait doubles from 200ms, jittered)"`
}

func (r replicaFlags) validate() error {
	if r.LeaseTTL < 300*time.Millisecond {
		return fmt.Errorf("%w: --lease-ttl must be at least 300ms", errUsage)
	}
	if r.RestartBackoffMax < 200*time.Millisecond {
		return fmt.Errorf("%w: --restart-backoff-max must be at least 200ms", errUsage)
	}
	return nil
}

// background runs serve's components, each under a supervisor, the shared
// ones under a lease: on PostgreSQL the lease table in the ledger's schema,
// on SQLite (one process per ledger) and KurrentDB local leases.
type background struct {
	reg    *supervise.Registry
	pg     *coord.Postgres // nil unless the store is PostgreSQL
	lite   *coord.SQLite   // nil unless the store is an SQLite file
	liteDB *sql.DB
	local  *coord.Local
	flags  replicaFlags
	opts   supervise.Options
	logger *slog.Logger
	wg     sync.WaitGroup

	followersMu sync.Mutex
	followers   map[string]*runningFollower // by component name
}

// openBackground opens the coordination tables beside a PostgreSQL store.
func openBackground(ctx context.Context, sf storeFlags, rf replicaFlags, logger *slog.Logger) (*background, error) {
	if err := rf.validate(); err != nil {
		return nil, err
	}
	b := &background{reg: supervise.NewRegistry(), local: coord.NewLocal(), flags: rf, logger: logger,
		opts: supervise.Options{Backoff: supervise.Backoff{Initial: 200 * time.Millisecond, Max: rf.RestartBackoffMax}}}
	if t, err := storeurl.Parse(sf.url()); err == nil && t.Backend == storeurl.Postgres {
		pg, err := coord.OpenPostgres(ctx, t.URL, "", rf.ReplicaName)
		if err != nil {
			return nil, err
		}
		b.pg = pg
		logger.Info("replica", "name", pg.Holder(), "lease_ttl", rf.LeaseTTL.String())
	} else if err == nil && t.Backend == storeurl.SQLite {
		// Other processes may share the file (a standalone scheduler beside
		// serve): the shared jobs' leases live in it.
		db, err := sql.Open("sqlite", sqlite.DSN(t.Path))
		if err != nil {
			return nil, fmt.Errorf("open lease table: %w", err)
		}
		db.SetMaxOpenConns(1)
		lite, err := coord.OpenSQLite(ctx, db, rf.ReplicaName)
		if err != nil {
			_ = db.Close()
			return nil, err
		}
		b.lite, b.liteDB = lite, db
		logger.Info("replica", "name", lite.Holder(), "lease_ttl", rf.LeaseTTL.String())
	}
	return b, nil
}

// close waits for every component to stop, then closes the lease pool.
func (b *background) close() {
	b.wg.Wait()
	if b.pg != nil {
		b.pg.Close()
	}
	if b.liteDB != nil {
		_ = b.liteDB.Close()
	}
}

// lease returns the named lease: shared with the other processes of the
// ledger (through PostgreSQL, or the SQLite file) when the job's output is
// shared by them, else local to this process.
func (b *background) lease(name string, shared bool) supervise.Lease {
	switch {
	case shared && b.pg != nil:
		return b.pg.Lease(name, b.flags.LeaseTTL)
	case shared && b.lite != nil:
		return b.lite.Lease(name, b.flags.LeaseTTL)
	}
	return b.local.Lease(name)
}

// pgLease returns the lease as a PostgreSQL lease, or nil if it is local.
func pgLease(l supervise.Lease) *coord.PGLease {
	pl, _ := l.(*coord.PGLease)
	return pl
}

// run starts a component that needs no lease.
func (b *background) run(ctx context.Context, name string, optional bool, check func() error, job supervise.Job) {
	c := b.reg.Add(name, optional, check)
	log := b.logger.With("component", name)
	o := b.opts
	o.OnRestart = func(err error, wait time.Duration) {
		log.Error("restarting", "err", err, "in", wait.Round(time.Millisecond).String())
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		c.Run(ctx, job, o)
		if st := c.Status(); st.State == supervise.Broken {
			log.Error("broken: not restarted", "err", st.LastError)
		}
	}()
}

// runLeased starts a component that runs only while it holds lease; the
// channel returned is closed once it has stopped (after ctx ends).
func (b *background) runLeased(ctx context.Context, name string, optional bool, check func() error, lease supervise.Lease, job supervise.LeasedJob) <-chan struct{} {
	c := b.reg.Add(name, optional, check)
	log := b.logger.With("component", name, "lease", lease.Name())
	o := b.opts
	o.OnRestart = func(err error, wait time.Duration) {
		log.Error("restarting", "err", err, "in", wait.Round(time.Millisecond).String())
	}
	done := make(chan struct{})
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		defer close(done)
		c.RunLeased(ctx, lease, func(ctx context.Context, token uint64) error {
			log.Info("lease held: running", "token", token)
			err := job(ctx, token)
			if ctx.Err() != nil {
				log.Info("stopped", "token", token)
			}
			return err
		}, o)
	}()
	return done
}

// runStoreProbe adds the "store" component: a write every second (the
// replica's heartbeat row on PostgreSQL, a heartbeat table in the SQLite
// file; a read on KurrentDB, which offers no write outside the log). While
// no write has succeeded for 3s the store is not ready, and /readyz is 503.
func (b *background) runStoreProbe(ctx context.Context, sf storeFlags, store eventstore.Store) error {
	probe, closeProbe, err := b.storeProbe(sf, store)
	if err != nil {
		return err
	}
	var lastOK atomic.Int64
	check := func() error {
		last := lastOK.Load()
		if last == 0 {
			return errors.New("no write probe has succeeded yet")
		}
		if since := time.Since(time.Unix(0, last)); since > 3*time.Second {
			return fmt.Errorf("no write has succeeded for %s", since.Round(time.Second))
		}
		return nil
	}
	b.run(ctx, "store", false, check, func(ctx context.Context) error {
		for {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := probe(pctx)
			cancel()
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				return fmt.Errorf("store cannot write: %w", err)
			}
			lastOK.Store(time.Now().UnixNano())
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
		}
	})
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		<-ctx.Done()
		closeProbe()
	}()
	return nil
}

func (b *background) storeProbe(sf storeFlags, store eventstore.Store) (func(context.Context) error, func(), error) {
	if b.pg != nil {
		return b.pg.ProbeWrite, func() {}, nil
	}
	t, err := storeurl.Parse(sf.url())
	if err != nil || t.Backend != storeurl.SQLite {
		return func(ctx context.Context) error {
			_, err := store.ReadAll(ctx, 0, 1)
			return err
		}, func() {}, nil
	}
	db, err := sql.Open("sqlite", sqlite.DSN(t.Path))
	if err != nil {
		return nil, nil, fmt.Errorf("open write probe: %w", err)
	}
	db.SetMaxOpenConns(1)
	holder := coord.DefaultHolder()
	return func(ctx context.Context) error {
		if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS coord_replicas (holder TEXT PRIMARY KEY, seen_at TEXT NOT NULL)`); err != nil {
			return err
		}
		_, err := db.ExecContext(ctx, `INSERT INTO coord_replicas (holder, seen_at) VALUES (?, ?)
			ON CONFLICT (holder) DO UPDATE SET seen_at = excluded.seen_at`, holder, time.Now().UTC().Format(time.RFC3339Nano))
		return err
	}, func() { _ = db.Close() }, nil
}

// sharedClock returns the clock the flags ask for; a scaled clock on
// PostgreSQL takes the ledger's stored origin (storing this one if none is
// stored), so every replica and every restart reads the same time.
func (b *background) sharedClock(ctx context.Context, cf clockFlags) (clock.Clock, error) {
	c, err := cf.clock()
	if err != nil || b.pg == nil {
		return c, err
	}
	scaled, ok := c.(*clock.ScaledClock)
	if !ok {
		return c, nil
	}
	wall := time.Now()
	origin, err := b.pg.SharedClockOrigin(ctx, coord.ClockOrigin{LedgerStart: scaled.Now(), WallStart: wall, Speed: scaled.Speed()})
	if errors.Is(err, coord.ErrClockSpeed) {
		return nil, fmt.Errorf("%w: --clock-speed: %v (every replica of a ledger runs one clock)", errUsage, err)
	}
	if err != nil {
		return nil, err
	}
	elapsed := time.Duration(float64(time.Since(origin.WallStart)) * origin.Speed)
	return clock.NewScaledClock(origin.LedgerStart.Add(elapsed), origin.Speed)
}

// components lists every component's status, for /readyz.
func (b *background) components() []supervise.Named { return b.reg.Snapshot() }

// follower returns the holder of the log follower the named component
// runs, for its readiness check, the operators' /readyz and the metrics.
func (b *background) follower(component string) *runningFollower {
	b.followersMu.Lock()
	defer b.followersMu.Unlock()
	if b.followers == nil {
		b.followers = map[string]*runningFollower{}
	}
	r, ok := b.followers[component]
	if !ok {
		r = &runningFollower{}
		b.followers[component] = r
	}
	return r
}

// followerStatuses returns the status of each running log follower, by
// component name; a component standing by runs none.
func (b *background) followerStatuses() map[string]follow.Status {
	b.followersMu.Lock()
	defer b.followersMu.Unlock()
	out := make(map[string]follow.Status, len(b.followers))
	for name, r := range b.followers {
		if st, ok := r.status(); ok {
			out[name] = st
		}
	}
	return out
}

// registerMetrics exposes each component's state, restarts and lease token,
// and the state, position and lag of the log follower it runs.
func (b *background) registerMetrics(m *httpapi.Metrics) {
	m.Register(httpapi.Collector{Name: "disputes_component_state", Type: "gauge",
		Help: "Background components by state (1 for the current one): ok, standby (another replica holds the lease), starting, retrying, broken.",
		Collect: func(context.Context) ([]httpapi.Sample, error) {
			var out []httpapi.Sample
			for _, n := range b.reg.Snapshot() {
				for _, s := range supervise.States {
					v := 0.0
					if n.State == s {
						v = 1
					}
					out = append(out, httpapi.Sample{Labels: []string{"component", n.Name, "state", string(s)}, Value: v})
				}
			}
			return out, nil
		}})
	m.Register(httpapi.Collector{Name: "disputes_component_restarts_total", Type: "counter",
		Help: "Restarts of a background component after an error.",
		Collect: func(context.Context) ([]httpapi.Sample, error) {
			var out []httpapi.Sample
			for _, n := range b.reg.Snapshot() {
				out = append(out, httpapi.Sample{Labels: []string{"component", n.Name}, Value: float64(n.Restarts)})
			}
			return out, nil
		}})
	m.Register(httpapi.Collector{Name: "disputes_follower_lag_events", Type: "gauge",
		Help: "Events in the log a component's log follower knows of and its consumer has not handled yet (head - position); no series while the component runs no follower (standing by).",
		Collect: func(context.Context) ([]httpapi.Sample, error) {
			var out []httpapi.Sample
			for name, st := range b.followerStatuses() {
				out = append(out, httpapi.Sample{Labels: []string{"component", name}, Value: float64(st.Lag)})
			}
			return out, nil
		}})
	m.Register(httpapi.Collector{Name: "disputes_follower_position", Type: "gauge",
		Help: "The last log position a component's log follower handed its consumer and the consumer handled.",
		Collect: func(context.Context) ([]httpapi.Sample, error) {
			var out []httpapi.Sample
			for name, st := range b.followerStatuses() {
				out = append(out, httpapi.Sample{Labels: []string{"component", name}, Value: float64(st.Position)})
			}
			return out, nil
		}})
	m.Register(httpapi.Collector{Name: "disputes_follower_state", Type: "gauge",
		Help: "A component's log follower by state (1 for the current one): idle, catching_up, live, retrying (a failed read, retried by itself), stopped.",
		Collect: func(context.Context) ([]httpapi.Sample, error) {
			var out []httpapi.Sample
			for name, st := range b.followerStatuses() {
				for _, s := range follow.States {
					v := 0.0
					if st.State == s {
						v = 1
					}
					out = append(out, httpapi.Sample{Labels: []string{"component", name, "state", string(s)}, Value: v})
				}
			}
			return out, nil
		}})
	m.Register(httpapi.Collector{Name: "disputes_lease_token", Type: "gauge",
		Help: "The fencing token of the lease a component holds; 0 while it stands by.",
		Collect: func(context.Context) ([]httpapi.Sample, error) {
			var out []httpapi.Sample
			for _, n := range b.reg.Snapshot() {
				if n.Lease != "" {
					out = append(out, httpapi.Sample{Labels: []string{"component", n.Name, "lease", n.Lease}, Value: float64(n.Token)})
				}
			}
			return out, nil
		}})
}
