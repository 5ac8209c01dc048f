package sim

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/internal/clock"
)

// Config sets a run up. Seed and Dir are required; every other field has a
// default.
type Config struct {
	// Seed decides everything: the workload, the faults and the order the
	// parts are stepped in.
	Seed uint64
	// Dir holds the run's SQLite files.
	Dir string
	// Tickets is how many generated disputes the workload plays. Default 6.
	Tickets int
	// Faults are the probabilities of the faults. Default DefaultFaults().
	Faults *Faults
	// CheckEvery runs the invariants every this many operations as well
	// as at the end. Default 50.
	CheckEvery int

	hooks hooks
}

// Faults are the probabilities of each fault, per operation (or per
// append, for the append faults).
type Faults struct {
	// AppendBefore and AppendAfter fail an append before its commit (nothing
	// stored) or after it (stored, the caller told it failed).
	AppendBefore, AppendAfter float64
	// ReadDrop fails the next reads of the global log by a reader (the
	// projector's or the sealer's follower): its subscription dropped, to
	// be resumed from its own position.
	ReadDrop float64
	// Lag shows the projector the log only up to a random position behind
	// the head for one step.
	Lag float64
	// Skip leaves a part unstepped at an operation (its wake-up delayed);
	// the parts that are stepped go in a random order.
	Skip float64
	// Crash closes every part and the store and opens them again over the
	// same files, losing everything held in memory.
	Crash float64
	// CrashAfterFault crashes right after an append failed after its commit.
	CrashAfterFault float64
	// ClockJump moves the clock forward by up to two days at once.
	ClockJump float64
}

// DefaultFaults are the probabilities the simulation runs with.
func DefaultFaults() *Faults {
	return &Faults{AppendBefore: 0.04, AppendAfter: 0.04, ReadDrop: 0.05, Lag: 0.2, Skip: 0.7,
		Crash: 0.01, CrashAfterFault: 0.3, ClockJump: 0.01}
}

// Result is what a run did and found.
type Result struct {
	Seed uint64
	// Trace is every operation and fault in order, one line each.
	Trace []TraceLine
	// Violations are the invariants found broken, in the order found; a
	// run stops at the first check that finds any.
	Violations []Violation
	// Stats count what happened.
	Stats Stats
}

// Stats count a run's operations and their outcomes.
type Stats struct {
	Ops, Accepted, Refused, Unknown, Duplicates, Reads                  int
	Fired, Crashes, ClockJumps, AppendFaults, ReadFaults, Seals, Checks int
	Events                                                              uint64
}

// OK reports whether no invariant was broken.
func (r Result) OK() bool { return len(r.Violations) == 0 }

// run is one simulation in progress.
type run struct {
	cfg   Config
	rng   *rand.Rand
	pol   policy.Policy
	clk   *clock.ManualClock
	key   ed25519.PrivateKey
	l     *ledger
	owner map[string]parties

	res    *Result
	cur    int // seq of the op in progress, for the trace
	ledger record
	client clientState
	seals  []seal.Seal // every seal the sealers made
}

// Run plays one seed: the workload's operations in virtual time order, the
// faults and the parts' steps between them, and the invariants every
// CheckEvery operations and at the end. The error is for a run that could
// not be carried out (a file that cannot be opened); what the checks find
// is in the result.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Dir == "" {
		return Result{}, errors.New("sim: Dir is required")
	}
	if cfg.Tickets <= 0 {
		cfg.Tickets = 6
	}
	if cfg.Faults == nil {
		cfg.Faults = DefaultFaults()
	}
	if cfg.CheckEvery <= 0 {
		cfg.CheckEvery = 50
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed5eed5eed5eed))
	r := &run{cfg: cfg, rng: rng, pol: policy.Default(), res: &Result{Seed: cfg.Seed}, cur: -1, ledger: newRecord(),
		client: clientState{acked: map[key]answer{}, refused: map[key]int{}, unsettled: map[key]bool{}}}
	var keySeed [ed25519.SeedSize]byte
	for i := range keySeed {
		keySeed[i] = byte(rng.Uint32())
	}
	r.key = ed25519.NewKeyFromSeed(keySeed[:])
	ops, owner := workload(rng, int64(cfg.Seed%(1<<62)), cfg.Tickets, r.pol)
	r.owner = owner
	r.clk = clock.NewManualClock(ops[0].at.Add(-time.Minute))
	if err := r.open(ctx); err != nil {
		return *r.res, err
	}
	defer func() { _ = r.l.close() }()

	for i, o := range ops {
		if err := ctx.Err(); err != nil {
			return *r.res, err
		}
		r.cur = o.seq
		if o.at.After(r.clk.Now()) {
			r.clk.Set(o.at)
		}
		if err := r.faultsBetween(ctx); err != nil {
			return *r.res, err
		}
		r.res.Stats.Ops++
		if err := r.do(ctx, o); err != nil {
			return *r.res, err
		}
		if (i+1)%cfg.CheckEvery == 0 {
			if err := r.check(ctx, false); err != nil || !r.res.OK() {
				return *r.res, err
			}
		}
	}
	r.cur = -1
	// Quiesce: let time run past every deadline, every part catch up.
	if err := r.drain(ctx); err != nil {
		return *r.res, err
	}
	return *r.res, r.check(ctx, true)
}

// open starts a process over the run's files.
func (r *run) open(ctx context.Context) error {
	l, err := openLedger(ctx, r.cfg.Dir, r.clk, r.pol, r.key, r.cfg.hooks, r.ledger.appended)
	if err != nil {
		return err
	}
	r.l = l
	return nil
}

// crash ends the process and starts another over the same files.
func (r *run) crash(ctx context.Context, why string) error {
	r.res.Stats.Crashes++
	r.trace(nil, "CRASH (%s): handler, schedulers, projector and sealer lose their memory; the SQLite files are reopened", why)
	if err := r.l.close(); err != nil {
		return fmt.Errorf("crash: close: %w", err)
	}
	if r.cfg.hooks.crashed != nil {
		r.cfg.hooks.crashed()
	}
	return r.open(ctx)
}

// faultsBetween is what happens between two operations: maybe a crash or
// a clock jump, then the background parts stepped in a random order, each
// maybe skipped (its wake-up late), with faults armed on the store.
func (r *run) faultsBetween(ctx context.Context) error {
	f := r.cfg.Faults
	if r.chance(f.Crash) {
		if err := r.crash(ctx, "between operations"); err != nil {
			return err
		}
	}
	if r.chance(f.ClockJump) {
		d := time.Duration(1+r.rng.IntN(48*60)) * time.Minute
		r.res.Stats.ClockJumps++
		r.clk.Advance(d)
		r.trace(nil, "CLOCK jumps forward %s to %s", d, r.clk.Now().Format(time.RFC3339))
	}
	parts := r.rng.Perm(4)
	for _, p := range parts {
		if r.chance(f.Skip) {
			continue
		}
		if err := r.stepPart(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// stepPart steps one background part: 0 and 1 the schedulers, 2 the
// projector, 3 the sealer.
func (r *run) stepPart(ctx context.Context, p int) error {
	f := r.cfg.Faults
	switch p {
	case 0, 1:
		r.armAppend()
		firings, err := r.l.scheds[p].Step(ctx, r.clk.Now())
		r.l.faults.disarm()
		for _, fr := range firings {
			if fr.Outcome == "fired" {
				r.res.Stats.Fired++
			}
			tickets := []string{fr.TicketID}
			r.trace(tickets, "scheduler %c fires %s of %s due %s: %s%s", 'A'+p, fr.Kind, fr.TicketID, fr.DueAt.Format(time.RFC3339), fr.Outcome, errSuffix(fr.Err))
		}
		if err != nil && ctx.Err() == nil {
			r.trace(nil, "scheduler %c step failed: %v", 'A'+p, err)
		}
	case 2:
		drops, visible := 0, uint64(0)
		if r.chance(f.ReadDrop) {
			drops = 1 + r.rng.IntN(2)
			r.res.Stats.ReadFaults++
		}
		if r.chance(f.Lag) && r.ledger.head > 0 {
			visible = 1 + r.rng.Uint64N(r.ledger.head)
		}
		r.l.faults.armReads(drops, visible)
		rep, err := r.l.projector.Run(ctx)
		r.l.faults.disarm()
		if drops > 0 || visible > 0 || err != nil {
			r.trace(nil, "projector to %d (log dropped %d times, shown up to %d): %v", rep.Head, drops, visible, err)
		}
	case 3:
		if r.chance(f.ReadDrop) {
			r.l.faults.armReads(1, 0)
			r.res.Stats.ReadFaults++
		}
		sl, made, err := r.l.sealer.SealToHead(ctx)
		r.l.faults.disarm()
		if err != nil {
			r.trace(nil, "sealer failed: %v", err)
			if !errors.Is(err, errInjected) {
				r.violate(CheckVerify, nil, "the sealer failed: %v", err)
			}
			return nil
		}
		if made {
			r.res.Stats.Seals++
			r.seals = append(r.seals, sl)
		}
	}
	return nil
}

// armAppend arms the next append with a fault, by the fault rates.
func (r *run) armAppend() {
	f := r.cfg.Faults
	switch x := r.rng.Float64(); {
	case x < f.AppendBefore:
		r.l.faults.armAppend(appendFailBefore)
		r.res.Stats.AppendFaults++
	case x < f.AppendBefore+f.AppendAfter:
		r.l.faults.armAppend(appendFailAfter)
		r.res.Stats.AppendFaults++
	}
}

func (r *run) chance(p float64) bool { return p > 0 && r.rng.Float64() < p }

// drain lets the run come to rest: the clock past every deadline the
// tickets still have, every part stepped without faults until nothing is
// left to fire.
func (r *run) drain(ctx context.Context) error {
	r.trace(nil, "DRAIN: no more faults; the clock runs out the deadlines")
	for range 64 {
		if _, err := r.l.projector.Run(ctx); err != nil {
			// No faults any more: a projection that stops is a broken read model.
			r.violate(CheckReadModels, nil, "the projector stops at rest: %v", err)
			return nil
		}
		r.clk.Advance(7 * 24 * time.Hour)
		fired := 0
		for i := range r.l.scheds {
			firings, err := r.l.scheds[i].Step(ctx, r.clk.Now())
			if err != nil {
				return fmt.Errorf("drain: scheduler: %w", err)
			}
			for _, fr := range firings {
				if fr.Outcome == "fired" {
					fired++
					r.res.Stats.Fired++
					r.trace([]string{fr.TicketID}, "scheduler %c fires %s of %s due %s: fired", 'A'+i, fr.Kind, fr.TicketID, fr.DueAt.Format(time.RFC3339))
				}
			}
		}
		if fired == 0 {
			break
		}
	}
	if _, err := r.l.projector.Run(ctx); err != nil {
		r.violate(CheckReadModels, nil, "the projector stops at rest: %v", err)
		return nil
	}
	sl, made, err := r.l.sealer.SealToHead(ctx)
	if err != nil {
		r.violate(CheckVerify, nil, "the sealer failed at rest: %v", err)
		return nil
	}
	if made {
		r.res.Stats.Seals++
		r.seals = append(r.seals, sl)
	}
	return nil
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return ": " + commands.Classify(err).Code
}

// record is the run's own account of what reached the log, kept outside
// every part (it survives crashes, as a client's memory would).
type record struct {
	head uint64
}

func newRecord() record { return record{} }

func (rec *record) appended(_ string, evs []eventstore.EventData, res eventstore.AppendResult) {
	rec.head = max(rec.head, res.LastPosition)
}
