package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/disputes-ledger/disputes/cmd/internal/batchgc"
	"github.com/disputes-ledger/disputes/cmd/internal/readmodels"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/follow"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/projections"
)

// scanPage is the page size of the log scans: the projector's when it runs
// to the head.
const scanPage = 8192

// logDecode: the global log read from position 0 to the head through
// eventstore/follow, the one follower every consumer reads it with (pages
// decoded strictly, hash checked, one page read ahead); the floor is the
// raw scan of the same pages (ReadAll, no decoding).
func logDecode(ctx context.Context, r *runner) ([]Result, error) {
	store, head, err := openCached(ctx, r, r.streamsWhole, sqlite.Config{})
	if err != nil {
		return nil, err
	}
	defer store.Close()
	floor := func(ctx context.Context) (float64, time.Duration, error) {
		return timedPass(head, func() error { return scan(ctx, store, scanPage, nil) })
	}
	fig := func(ctx context.Context) (float64, time.Duration, error) {
		return timedPass(head, func() error { return followToHead(ctx, store) })
	}
	m, err := r.alternate(ctx, r.opts.rounds(), floor, fig)
	if err != nil {
		return nil, err
	}
	return []Result{rateResult("log_decode", "events/s", "the raw scan of the same pages (ReadAll, no decoding)", m)}, nil
}

// rebuildAll: every read model rebuilt from position 0 into a fresh SQLite
// file (what `disputes rebuild --projections FILE` does) over the ledger
// whose tickets were appended whole; the floor is the scan and strict
// decode of the same log on one goroutine, which any rebuild has to do.
// The rebuild reads the log as `disputes rebuild` does, without a memory
// map (sqlite.Config.Unmapped), and under its GC target (batchgc); the
// floor reads through the map, which scans faster. (The floor's mapped
// pages count in the figure's peak memory, up to the map's 256 MiB: the one
// process runs both.)
func rebuildAll(ctx context.Context, r *runner) ([]Result, error) {
	store, head, err := openCached(ctx, r, r.streamsWhole, sqlite.Config{})
	if err != nil {
		return nil, err
	}
	defer store.Close()
	unmapped, _, err := openCached(ctx, r, r.streamsWhole, sqlite.Config{Unmapped: true})
	if err != nil {
		return nil, err
	}
	defer unmapped.Close()
	floor := func(ctx context.Context) (float64, time.Duration, error) {
		return timedPass(head, func() error { return scan(ctx, store, 1024, decodeAll) })
	}
	m, err := r.alternate(ctx, r.opts.passRounds(), floor, r.rebuildTurn(unmapped, head))
	if err != nil {
		return nil, err
	}
	return []Result{rateResult("rebuild_all", "events/s", "scan and strict decode of the same log on one goroutine", m)}, nil
}

// rebuildTimeOrdered: the same rebuild over the same tickets appended in
// the order of their events' recording times (a live ledger's shape); the
// floor is the rebuild of the streams-whole ledger, in the same run.
func rebuildTimeOrdered(ctx context.Context, r *runner) ([]Result, error) {
	whole, wholeHead, err := openCached(ctx, r, r.streamsWhole, sqlite.Config{Unmapped: true})
	if err != nil {
		return nil, err
	}
	defer whole.Close()
	ordered, head, err := openCached(ctx, r, r.timeOrdered, sqlite.Config{Unmapped: true})
	if err != nil {
		return nil, err
	}
	defer ordered.Close()
	m, err := r.alternate(ctx, r.opts.passRounds(), r.rebuildTurn(whole, wholeHead), r.rebuildTurn(ordered, head))
	if err != nil {
		return nil, err
	}
	return []Result{rateResult("rebuild_all_time_ordered", "events/s", "the rebuild of the streams-whole ledger (rebuild_all's figure)", m)}, nil
}

// rebuildTurn rebuilds every read model of store into a new file; only the
// rebuild is timed, not opening or removing the file.
func (r *runner) rebuildTurn(store eventstore.Store, head uint64) turnFunc {
	return func(ctx context.Context) (float64, time.Duration, error) {
		dir, err := r.tempDir()
		if err != nil {
			return 0, 0, err
		}
		defer os.RemoveAll(dir)
		db, err := readmodels.Open(ctx, readmodels.Where{Dialect: projections.SQLite, Path: filepath.Join(dir, "read-models.db")})
		if err != nil {
			return 0, 0, err
		}
		p := projections.NewProjector(store, db, projections.Default(db, policy.Default()), projections.Options{})
		restore := batchgc.Set() // as `disputes rebuild` runs
		began := time.Now()
		rep, err := p.Rebuild(ctx)
		took := time.Since(began)
		restore()
		if err = errors.Join(err, db.Close()); err != nil {
			return 0, took, err
		}
		for _, pr := range rep.Projections {
			if pr.To != head {
				return 0, took, fmt.Errorf("read model %s reached %d of %d", pr.Name, pr.To, head)
			}
		}
		return float64(head), took, nil
	}
}

// openCached opens a cached ledger read-only, and its head.
func openCached(ctx context.Context, r *runner, ledger func(context.Context) (string, error), cfg sqlite.Config) (*sqlite.Store, uint64, error) {
	path, err := ledger(ctx)
	if err != nil {
		return nil, 0, err
	}
	store, err := sqlite.OpenReadOnly(ctx, path, cfg)
	if err != nil {
		return nil, 0, err
	}
	head, err := follow.Head(ctx, store)
	if err == nil && head == 0 {
		err = fmt.Errorf("%s is empty", path)
	}
	if err != nil {
		return nil, 0, errors.Join(err, store.Close())
	}
	return store, head, nil
}

// timedPass times one pass over a log of head events.
func timedPass(head uint64, pass func() error) (float64, time.Duration, error) {
	began := time.Now()
	err := pass()
	return float64(head), time.Since(began), err
}

// scan reads the whole log in pages of page, handing each to each (nil:
// nothing more than the read).
func scan(ctx context.Context, log follow.Reader, page int, each func([]eventstore.RecordedEvent) error) error {
	var after uint64
	for {
		recs, err := log.ReadAll(ctx, after, page)
		if err != nil || len(recs) == 0 {
			return err
		}
		if each != nil {
			if err := each(recs); err != nil {
				return err
			}
		}
		after = recs[len(recs)-1].Position
	}
}

func decodeAll(recs []eventstore.RecordedEvent) error {
	for _, rec := range recs {
		if _, err := events.Decode(rec.Data); err != nil {
			return fmt.Errorf("position %d: %w", rec.Position, err)
		}
	}
	return nil
}

// followToHead reads the log from position 0 to its head through a
// follower, as every consumer does, and checks every event decoded.
func followToHead(ctx context.Context, log follow.Log) error {
	f, err := follow.New(follow.Config{
		Name:        "bench",
		Log:         log,
		Start:       func(context.Context) (uint64, error) { return 0, nil },
		PageSize:    scanPage,
		StopAtHead:  true,
		MaxAttempts: 1,
		Handle: func(_ context.Context, page follow.Page) error {
			for _, ev := range page.Events {
				if ev.Err != nil {
					return follow.Broken(fmt.Errorf("position %d: %w", ev.Record.Position, ev.Err))
				}
			}
			return nil
		},
	})
	if err != nil {
		return err
	}
	return f.Run(ctx)
}
