package bench

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/bundle"
	"github.com/disputes-ledger/disputes/audit/sqliteaudit"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// generatorVersion is part of every cached file's name: bump it when what
// the generated ledgers hold changes (the generator's tickets, their order,
// the seals, the bundle's format), so that old caches are not reused.
const generatorVersion = 1

// ticketsPerBatch is how many generated tickets are played at a time (about
// 106,000 events): each batch covers scenarios.GeneratedSpan, so in the
// time-ordered ledger a busy day's events fall in different pages of the
// log, as in production.
const ticketsPerBatch = 20_000

// sealEvery is how many events the generated ledger is sealed after (at the
// end of the batch that reaches it).
const sealEvery = 100_000

// sealKey signs the generated ledger's seals. It is derived from a fixed
// phrase, so a cached ledger and its bundle verify in any later run: it is
// a benchmark's key, guarding nothing.
var sealKey = func() ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("disputes bench seal key"))
	return ed25519.NewKeyFromSeed(seed[:])
}()

// sealPublic is sealKey's public half, which the verify figures trust.
func sealPublic() ed25519.PublicKey { return sealKey.Public().(ed25519.PublicKey) }

// cache holds the generated files of one size in a directory, each under a
// name with the size and generatorVersion, marked complete by a file beside
// it once written whole; an incomplete file is generated again.
type cache struct {
	dir    string
	events int
}

func (c *cache) path(kind, ext string) string {
	return filepath.Join(c.dir, fmt.Sprintf("%s-g%d-%d.%s", kind, generatorVersion, c.events, ext))
}

// ready returns the path of kind and whether it is complete.
func (c *cache) ready(kind, ext string) (string, bool) {
	p := c.path(kind, ext)
	_, err := os.Stat(p + ".complete")
	return p, err == nil
}

// generate returns the path of kind, first generating it with gen unless it
// is complete. Runs sharing the directory wait for each other's generation
// (a lock file beside it) rather than write the same file at once.
func (c *cache) generate(kind, ext string, gen func(path string) error) (string, error) {
	if p, ok := c.ready(kind, ext); ok {
		return p, nil
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return "", err
	}
	p := c.path(kind, ext)
	unlock, err := lockFile(p + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, ok := c.ready(kind, ext); ok { // another run generated it meanwhile
		return p, nil
	}
	return p, gen(p)
}

func markComplete(path string, events int) error {
	return os.WriteFile(path+".complete", []byte(strconv.Itoa(events)+"\n"), 0o644)
}

// removeLedger removes a SQLite file and its WAL and shared-memory files.
func removeLedger(path string) error {
	var errs []error
	for _, p := range []string{path, path + "-wal", path + "-shm", path + ".complete"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// streamsWhole returns the cached ledger whose tickets are each appended
// whole (one append per stream), sealed every sealEvery events.
func (r *runner) streamsWhole(ctx context.Context) (string, error) {
	return r.cache.generate("ledger-streams-whole", "db", func(path string) error { return r.generateStreamsWhole(ctx, path) })
}

func (r *runner) generateStreamsWhole(ctx context.Context, path string) error {
	if err := removeLedger(path); err != nil {
		return err
	}
	began := time.Now()
	store, err := sqlite.Open(ctx, path, sqlite.Config{MaxBatch: 1024, QueueSize: 4096})
	if err != nil {
		return err
	}
	seals, err := sqliteaudit.Open(ctx, path)
	if err != nil {
		return errors.Join(err, store.Close())
	}
	sealer, err := audit.NewSealer(store, seals, sealKey, time.Now)
	if err != nil {
		return errors.Join(err, seals.Close(), store.Close())
	}
	total, sealedAt := 0, 0
	err = playBatches(ctx, r.cache.events, func(batch [][]eventstore.EventData) error {
		if err := appendWhole(ctx, store, batch); err != nil {
			return err
		}
		for _, s := range batch {
			total += len(s)
		}
		r.status("generating the streams-whole ledger: %d/%d events", total, r.cache.events)
		if total-sealedAt >= sealEvery || total >= r.cache.events {
			if _, _, err := sealer.SealToHead(ctx); err != nil {
				return fmt.Errorf("seal: %w", err)
			}
			sealedAt = total
		}
		return nil
	})
	err = errors.Join(err, seals.Close(), store.Close())
	if err != nil {
		return err
	}
	r.logf("bench: generated %s (%d events, sealed) in %s", path, total, time.Since(began).Round(time.Second))
	return markComplete(path, total)
}

// timeOrdered returns the cached ledger of the same tickets as
// streamsWhole, appended one event at a time in the order of their
// recording times, batch by batch, as a live ledger receives them.
func (r *runner) timeOrdered(ctx context.Context) (string, error) {
	return r.cache.generate("ledger-time-ordered", "db", func(path string) error { return r.generateTimeOrdered(ctx, path) })
}

func (r *runner) generateTimeOrdered(ctx context.Context, path string) error {
	if err := removeLedger(path); err != nil {
		return err
	}
	began := time.Now()
	store, err := sqlite.Open(ctx, path, sqlite.Config{MaxBatch: 1024, QueueSize: 4096})
	if err != nil {
		return err
	}
	total := 0
	err = playBatches(ctx, r.cache.events, func(batch [][]eventstore.EventData) error {
		if err := appendInTimeOrder(ctx, store, batch); err != nil {
			return err
		}
		for _, s := range batch {
			total += len(s)
		}
		r.status("generating the time-ordered ledger: %d/%d events", total, r.cache.events)
		return nil
	})
	if err = errors.Join(err, store.Close()); err != nil {
		return err
	}
	r.logf("bench: generated %s (%d events) in %s", path, total, time.Since(began).Round(time.Second))
	return markComplete(path, total)
}

// bundlePath returns the cached bundle of the whole streams-whole ledger.
func (r *runner) bundlePath(ctx context.Context) (string, error) {
	ledger, err := r.streamsWhole(ctx)
	if err != nil {
		return "", err
	}
	return r.cache.generate("bundle", "jsonl", func(path string) error { return r.exportBundle(ctx, ledger, path) })
}

func (r *runner) exportBundle(ctx context.Context, ledger, path string) error {
	r.status("exporting the bundle")
	raw, err := sqliteaudit.OpenReadOnly(ctx, ledger)
	if err != nil {
		return err
	}
	defer raw.Close()
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	sum, err := bundle.Export(ctx, f, bundle.Source{Log: raw, Seals: raw, Policies: audit.NewPolicySet(policy.Default()), PublicKey: sealPublic()},
		bundle.Scope{Kind: bundle.ScopeAll}, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	if err = errors.Join(err, f.Close()); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return markComplete(path, sum.Events)
}

// playBatches plays generated tickets, ticketsPerBatch at a time, until at
// least n events, and hands each batch to each: every ticket's events
// encoded, in revision order, the tickets in opening order. Each batch
// opens a year after the one before, so its ticket ids are new; event ids
// are the scenarios' stable ones, so every run generates the same bytes.
func playBatches(ctx context.Context, n int, each func([][]eventstore.EventData) error) error {
	pol := policy.Default()
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	// A small ledger (tests) plays no more tickets than it needs: about
	// five events each.
	perBatch := min(ticketsPerBatch, n/4+1)
	total := 0
	for seed := int64(1); total < n; seed++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var batch [][]eventstore.EventData
		for _, sc := range scenarios.Generate(seed, perBatch, start.AddDate(int(seed), 0, 0), pol) {
			envs, err := scenarios.Play(sc, pol, nil)
			if err != nil {
				return err
			}
			data := make([]eventstore.EventData, len(envs))
			for i, env := range envs {
				wire, err := events.Encode(env)
				if err != nil {
					return err
				}
				data[i] = eventstore.EventData{ID: env.ID, Type: env.Type, Revision: env.Revision, Data: wire}
			}
			batch = append(batch, data)
			if total += len(data); total >= n {
				break
			}
		}
		if err := each(batch); err != nil {
			return err
		}
	}
	return nil
}

// streamOf reads the stream an encoded event belongs to.
func streamOf(ev eventstore.EventData) (string, time.Time, error) {
	env, err := events.Decode(ev.Data)
	return env.Stream, env.OccurredAt, err
}

// appenders is how many goroutines append a generated batch, so that the
// store's group commit shares the fsyncs.
const appenders = 64

// appendWhole appends each ticket's stream in one append.
func appendWhole(ctx context.Context, store eventstore.Store, batch [][]eventstore.EventData) error {
	jobs := make(chan []eventstore.EventData)
	errs := make([]error, appenders)
	var wg sync.WaitGroup
	for w := range appenders {
		wg.Go(func() {
			for data := range jobs {
				if errs[w] != nil {
					continue
				}
				stream, _, err := streamOf(data[0])
				if err == nil {
					_, err = store.Append(ctx, stream, eventstore.NoStream(), data)
				}
				errs[w] = err
			}
		})
	}
	for _, data := range batch {
		jobs <- data
	}
	close(jobs)
	wg.Wait()
	return firstError(ctx, errs)
}

// firstError is ctx's error once it is done (every appender then fails
// with it), else the first of errs.
func firstError(ctx context.Context, errs []error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// appendInTimeOrder appends the batch's events one at a time, in the order
// of their recording times (a ticket's own events keep their order), each
// stream always by the same goroutine so that its revisions come in order.
func appendInTimeOrder(ctx context.Context, store eventstore.Store, batch [][]eventstore.EventData) error {
	type timedEvent struct {
		stream string
		at     time.Time
		data   eventstore.EventData
	}
	var all []timedEvent
	for _, data := range batch {
		for _, ev := range data {
			stream, at, err := streamOf(ev)
			if err != nil {
				return err
			}
			all = append(all, timedEvent{stream, at, ev})
		}
	}
	slices.SortStableFunc(all, func(a, b timedEvent) int { return a.at.Compare(b.at) })
	queues := make([]chan timedEvent, appenders)
	errs := make([]error, appenders)
	var wg sync.WaitGroup
	for w := range queues {
		queues[w] = make(chan timedEvent, 16)
		wg.Go(func() {
			for ev := range queues[w] {
				if errs[w] != nil {
					continue
				}
				_, errs[w] = store.Append(ctx, ev.stream, expectAfter(ev.data.Revision), []eventstore.EventData{ev.data})
			}
		})
	}
	for _, ev := range all {
		h := fnv.New32a()
		_, _ = h.Write([]byte(ev.stream))
		queues[h.Sum32()%appenders] <- ev
	}
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	return firstError(ctx, errs)
}
