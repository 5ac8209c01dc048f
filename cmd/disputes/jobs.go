package main

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/checkpoint"
	"github.com/disputes-ledger/disputes/audit/postgresaudit"
	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/cmd/internal/readmodels"
	"github.com/disputes-ledger/disputes/cmd/internal/storeurl"
	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/commands/scheduler"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/edge/forward"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/internal/clock"
	"github.com/disputes-ledger/disputes/internal/coord"
	"github.com/disputes-ledger/disputes/internal/supervise"
	"github.com/disputes-ledger/disputes/projections"
)

// startProjections opens the read models, runs the projector in the
// background under the "projector" lease and returns the read model the
// API queries. Read models on PostgreSQL are shared by the replicas, so one
// of them projects (fenced by its token, HighWater); in an SQLite file each
// replica keeps its own. A poison event breaks the projector for good.
// The drain returned brings them to the head of the log at shutdown.
func startProjections(ctx context.Context, bg *background, store eventstore.Store, sf storeFlags,
	rf readModelFlags, pol policy.Policy, clock clock.Clock) (projections.Reads, readModelDrain, func(), error) {
	w, err := rf.where(sf)
	if err != nil {
		return projections.Reads{}, readModelDrain{}, nil, err
	}
	// Nothing here reaches the database: the projector's job creates its
	// tables, so read models out of reach at start-up leave the API serving
	// (lists 503) and the projector retrying until they answer.
	pdb, err := readmodels.OpenLater(w)
	if err != nil {
		return projections.Reads{}, readModelDrain{}, nil, err
	}
	// The projector's SQLite connection is single; queries read beside it through WAL.
	rdb, err := readmodels.OpenQueries(w, pdb, 4)
	if err != nil {
		return projections.Reads{}, readModelDrain{}, nil, errors.Join(err, pdb.Close())
	}
	bg.logger.Info("read models", "read_models", w.String())
	closeAll := func() {
		if rdb != pdb {
			_ = rdb.Close()
		}
		_ = pdb.Close()
	}
	lease := bg.lease("projector", pdb.Dialect == projections.Postgres)
	running := bg.follower("projector")
	drain := readModelDrain{store: store, db: rdb, names: projectionNames(projections.Default(pdb, pol)), running: running,
		logger: bg.logger.With("component", "projector")}
	bg.runLeased(ctx, "projector", false, running.check, lease, func(ctx context.Context, token uint64) error {
		if err := prepareReadModels(ctx, pdb); err != nil {
			return err
		}
		projector := projections.NewProjector(store, pdb, projections.Default(pdb, pol), projections.Options{Follow: true, Now: clock.Now,
			Logger: bg.logger.With("component", "projector"),
			Fence:  projectorFence(pdb, token)})
		defer running.run(projector)()
		rep, err := projector.Run(ctx)
		for _, pr := range rep.Projections {
			var poison *projections.PoisonError
			if errors.As(pr.Err, &poison) {
				return supervise.Permanent(err)
			}
		}
		return err
	})
	return projections.Reads{DB: rdb, Policy: pol}, drain, closeAll, nil
}

// projectorFence fences the projector's writes with its lease's token. The
// lease's refusal (coord.ErrFenced) becomes projections.ErrFenced, which
// stops a read model; a fence that could not be asked (the connection
// dropped) is an ordinary database failure, retried from the checkpoint.
func projectorFence(db *projections.DB, token uint64) func(context.Context, *sql.Tx) error {
	fence := coord.HighWater(db.Dialect.Q, "projector", token)
	return func(ctx context.Context, tx *sql.Tx) error {
		err := fence(ctx, tx)
		if errors.Is(err, coord.ErrFenced) {
			return fmt.Errorf("%w: %w", projections.ErrFenced, err)
		}
		return err
	}
}

// prepareReadModels creates the bookkeeping and fence tables a projector
// needs (each run: a no-op once they exist) — here, under the supervisor,
// so that a read-model database out of reach is retried, not fatal.
func prepareReadModels(ctx context.Context, db *projections.DB) error {
	if err := db.EnsureBookkeeping(ctx); err != nil {
		return fmt.Errorf("read models: %w", err)
	}
	return coord.CreateFences(ctx, db.SQL)
}

// startDeadlineProjection keeps the open-deadlines read model in db, and
// only it, under the "projector" lease: for a scheduler where no projector
// keeps the read models (serve --no-projections). The drain returned brings
// it to the head of the log at shutdown.
func startDeadlineProjection(ctx context.Context, bg *background, store eventstore.Store, db *projections.DB, clock clock.Clock) readModelDrain {
	lease := bg.lease("projector", db.Dialect == projections.Postgres)
	running := bg.follower("deadline projection")
	bg.runLeased(ctx, "deadline projection", false, running.check, lease, func(ctx context.Context, token uint64) error {
		if err := prepareReadModels(ctx, db); err != nil {
			return err
		}
		p := projections.NewProjector(store, db, []projections.Projection{projections.NewDeadlines(db)},
			projections.Options{Follow: true, Now: clock.Now, Logger: bg.logger.With("component", "deadline projection"),
				Fence: projectorFence(db, token)})
		defer running.run(p)()
		rep, err := p.Run(ctx)
		for _, pr := range rep.Projections {
			var poison *projections.PoisonError
			if errors.As(pr.Err, &poison) {
				return supervise.Permanent(err)
			}
		}
		return err
	})
	return readModelDrain{store: store, db: db, names: []string{projections.DeadlinesName}, running: running,
		logger: bg.logger.With("component", "deadline projection")}
}

// startScheduler fires due deadlines under the "scheduler" lease: one
// replica fires, the others stand by. The scheduler reads the due
// deadlines from the open-deadlines read model in db and holds no ticket,
// so a replica taking over is ready at its first step. (A second scheduler
// would not record an expiry twice — the ids are deterministic and appends
// are conditional — it would only do the work twice.) The stop returned
// ends it and waits until it has: at shutdown, before the read models are
// drained, so that no expiry is recorded after the drain looked at the log.
func startScheduler(ctx context.Context, bg *background, db *projections.DB, h *commands.Handler, clk clock.Clock,
	metrics *httpapi.Metrics, logger *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var current atomic.Pointer[scheduler.Scheduler]
	var totals schedulerTotals
	registerSchedulerMetrics(metrics, &current, &totals)
	check := func() error {
		if s := current.Load(); s != nil {
			st := s.Status()
			switch {
			case st.Err != nil:
				return fmt.Errorf("scheduler: %w", st.Err)
			case st.Steps == 0:
				return errors.New("scheduler has not looked for due deadlines yet")
			}
		}
		return nil
	}
	done := bg.runLeased(ctx, "scheduler", false, check, bg.lease("scheduler", true), func(ctx context.Context, _ uint64) error {
		sched, err := scheduler.New(scheduler.Config{Deadlines: projections.DeadlineSource(db), Handler: h, Clock: clk,
			Logger: logger.With("component", "scheduler")})
		if err != nil {
			return supervise.Permanent(err)
		}
		current.Store(sched)
		defer func() {
			totals.add(sched.Status())
			current.CompareAndSwap(sched, nil)
		}()
		return sched.Run(ctx)
	})
	return func() {
		cancel()
		<-done
	}
}

// schedulerTotals keeps the counts of schedulers that have stopped, so the
// counters keep counting across restarts and failovers.
type schedulerTotals struct {
	mu sync.Mutex
	scheduler.Status
}

func (t *schedulerTotals) add(s scheduler.Status) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.Fired += s.Fired
	t.Duplicates += s.Duplicates
	t.Stale += s.Stale
	t.Refused += s.Refused
	t.Failed += s.Failed
}

func (t *schedulerTotals) with(cur *scheduler.Scheduler) scheduler.Status {
	t.mu.Lock()
	st := t.Status
	t.mu.Unlock()
	st.Waiting = 0
	if cur != nil {
		c := cur.Status()
		st.Fired, st.Duplicates, st.Stale, st.Refused, st.Failed, st.Waiting = st.Fired+c.Fired, st.Duplicates+c.Duplicates,
			st.Stale+c.Stale, st.Refused+c.Refused, st.Failed+c.Failed, c.Waiting
	}
	return st
}

// registerSchedulerMetrics exposes the scheduler's counters, summed over
// every run in this process.
func registerSchedulerMetrics(m *httpapi.Metrics, cur *atomic.Pointer[scheduler.Scheduler], totals *schedulerTotals) {
	m.Register(httpapi.Collector{Name: "disputes_scheduler_expiries_total", Type: "counter",
		Help: "Deadline expiries by outcome: fired (recorded here), duplicate (recorded before), stale (the read model listed a deadline met or moved meanwhile), refused (met or closed meanwhile), failed (retried).",
		Collect: func(context.Context) ([]httpapi.Sample, error) {
			st := totals.with(cur.Load())
			return []httpapi.Sample{
				{Labels: []string{"outcome", "fired"}, Value: float64(st.Fired)},
				{Labels: []string{"outcome", "duplicate"}, Value: float64(st.Duplicates)},
				{Labels: []string{"outcome", "stale"}, Value: float64(st.Stale)},
				{Labels: []string{"outcome", "refused"}, Value: float64(st.Refused)},
				{Labels: []string{"outcome", "failed"}, Value: float64(st.Failed)},
			}, nil
		}})
	m.Register(httpapi.Collector{Name: "disputes_scheduler_waiting_deadlines", Type: "gauge",
		Help: "Deadlines the scheduler acted on that the open-deadlines read model still lists: how far it lags behind the expiries (0 on a replica standing by).",
		Collect: func(context.Context) ([]httpapi.Sample, error) {
			return []httpapi.Sample{{Value: float64(totals.with(cur.Load()).Waiting)}}, nil
		}})
}

// startSealer seals the global log in the background under the "sealer"
// lease, so one replica seals and the ledger has one seal series; on
// PostgreSQL each seal is stored only if the lease is still this replica's
// at its token (CheckTx in the seal's transaction). The owner answers
// /v1/checkpoint with what it published, a standby from the latest stored
// seal. A log that changed under a
// seal breaks the sealer for good.
func startSealer(ctx context.Context, bg *background, store eventstore.Store, sf storeFlags,
	kf keyFlags, cf checkpointFlags, cad audit.Cadence, clk clock.Clock, logger *slog.Logger) (func() ([]byte, bool), func(), error) {
	if err := cad.Validate(); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	key, err := kf.load()
	if err != nil {
		return nil, nil, err
	}
	publish, closePublishers, err := cf.sealerOption(ctx)
	if err != nil {
		return nil, nil, err
	}
	seals, err := sf.openSeals(ctx)
	if err != nil {
		closePublishers()
		return nil, nil, err
	}
	closeAll := func() {
		_ = seals.Close()
		closePublishers()
	}
	probe, err := audit.NewSealer(store, seals, key, clk.Now, publish)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	log := logger.With("component", "sealer")
	log.Info("checkpoints", "origin", probe.Origin(), "published_to", cf.describe())
	lease := bg.lease("sealer", true)
	var running atomic.Pointer[audit.Sealer] // for the checkpoint it published
	follower := bg.follower("sealer")
	bg.runLeased(ctx, "sealer", false, follower.check, lease, func(ctx context.Context, token uint64) error {
		var store_ audit.SealStore = seals
		if pl, pg := pgLease(lease), pgSeals(seals); pl != nil && pg != nil {
			store_ = pg.Fenced(func(ctx context.Context, tx pgx.Tx) error { return pl.CheckTx(ctx, tx, token) })
		}
		sealer, err := audit.NewSealer(store, store_, key, clk.Now, publish)
		if err != nil {
			return supervise.Permanent(err)
		}
		running.Store(sealer)
		defer running.CompareAndSwap(sealer, nil)
		defer follower.run(sealer)()
		// A log changed under a seal, or an event it must not seal, comes
		// back marked follow.Broken: the supervisor stops the sealer for good.
		// Every other failure (a seal not stored, a fenced write) is retried.
		return sealer.Run(ctx, cad, func(s seal.Seal) { log.Info("sealed", "size", s.Size, "root", s.Root.String(), "token", token) })
	})
	stored := latestCheckpoint(seals, key, probe.Origin())
	return func() ([]byte, bool) {
		if s := running.Load(); s != nil {
			return s.Checkpoint() // the owner serves what it has published
		}
		return stored()
	}, closeAll, nil
}

// pgSeals returns the seal store as a PostgreSQL one, or nil.
func pgSeals(s storeurl.SealStore) *postgresaudit.Store {
	pg, _ := s.(*postgresaudit.Store)
	return pg
}

// latestCheckpoint signs the latest stored seal as a checkpoint, whichever
// replica stored it (Ed25519 signatures are deterministic: every replica
// serves the same text). The last one signed is kept for its size.
func latestCheckpoint(seals audit.SealStore, key ed25519.PrivateKey, origin string) func() ([]byte, bool) {
	var (
		mu   sync.Mutex
		size uint64
		text []byte
	)
	return func() ([]byte, bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		latest, ok, err := seals.LatestSeal(ctx)
		mu.Lock()
		defer mu.Unlock()
		if err != nil || !ok {
			return text, text != nil
		}
		if latest.Size != size {
			cp, err := checkpoint.Sign(key, checkpoint.Checkpoint{Origin: origin, Size: latest.Size, Root: latest.Root})
			if err != nil {
				return text, text != nil
			}
			size, text = latest.Size, cp
		}
		return text, true
	}
}

// forwardFlags let serve forward the global log to NATS JetStream.
type forwardFlags struct {
	ForwardNATS          string `name:"forward-nats" placeholder:"URL" help:"forward the global log to this NATS server's JetStream (as 'disputes forward' does), under the \"forwarder\" lease; the position is kept in the ledger on PostgreSQL, beside the file on SQLite"`
	ForwardStream        string `name:"forward-stream" default:"${forward_stream}" placeholder:"NAME" help:"with --forward-nats: the JetStream stream"`
	ForwardSubjectPrefix string `name:"forward-subject-prefix" default:"${forward_subject_prefix}" placeholder:"P" help:"with --forward-nats: events go to <prefix>.<event type>"`
}

// startForwarder forwards the log to JetStream under the "forwarder" lease.
// It is optional for readiness: a broker outage delays fan-out (the stream
// deduplicates what is sent again) but does not stop commands. Each run
// connects and ensures the stream first.
func startForwarder(ctx context.Context, bg *background, store eventstore.Store, sf storeFlags, ff forwardFlags, logger *slog.Logger) {
	lease := bg.lease("forwarder", true)
	log := logger.With("component", "forwarder")
	running := bg.follower("forwarder")
	bg.runLeased(ctx, "forwarder", true, running.check, lease, func(ctx context.Context, token uint64) error {
		// A connection per run: the publisher closes it when it closes.
		nc, err := nats.Connect(ff.ForwardNATS, nats.Name("disputes serve forwarder"), nats.MaxReconnects(-1))
		if err != nil {
			return fmt.Errorf("connect to NATS %s: %w", ff.ForwardNATS, err)
		}
		defer nc.Close()
		if err := forward.EnsureStream(ctx, nc, ff.ForwardStream, ff.ForwardSubjectPrefix, forward.DefaultDupWindow); err != nil {
			return err
		}
		pub, err := forward.NewPublisher(nc, ff.ForwardStream, watermill.NopLogger{})
		if err != nil {
			return err
		}
		defer pub.Close()
		var cp forward.Checkpoint = forward.FileCheckpoint{Path: defaultCheckpoint(sf)}
		if pl := pgLease(lease); pl != nil {
			cp = pl.Position(token)
		}
		f, err := forward.New(store, pub, cp, forward.Config{SubjectPrefix: ff.ForwardSubjectPrefix, Logger: log})
		if err != nil {
			return supervise.Permanent(err)
		}
		defer running.run(f)()
		return f.Run(ctx)
	})
}
