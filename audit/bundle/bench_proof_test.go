package bundle_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/bundle"
	"github.com/disputes-ledger/disputes/audit/proof"
	"github.com/disputes-ledger/disputes/audit/sqliteaudit"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// benchLedger returns a SQLite ledger file holding the events of the bench
// bundle, appended through the event store (per-ticket order kept, tickets
// interleaved by many writers, so positions differ from the bundle's) and
// sealed by the Sealer. It is built once (a few minutes) and cached in the
// temporary directory across runs.
func benchLedger(b *testing.B) string {
	b.Helper()
	bundlePath := benchBundle(b, benchEvents)
	path := strings.TrimSuffix(bundlePath, ".jsonl") + ".db"
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := writeBenchLedger(bundlePath, path); err != nil {
		b.Fatal(err)
	}
	return path
}

func writeBenchLedger(bundlePath, path string) (err error) {
	ctx := context.Background()
	tmp := path + ".tmp"
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(tmp + suffix)
	}
	store, err := sqlite.Open(ctx, tmp, sqlite.Config{})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, store.Close()) }()

	// Writers own disjoint sets of streams, so each stream's events are
	// appended in order while group commit batches the writers' appends.
	const writers = 256
	work := make([]chan eventstore.RecordedEvent, writers)
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for i := range work {
		work[i] = make(chan eventstore.RecordedEvent, 64)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rec := range work[i] {
				_, err := store.Append(ctx, rec.Stream, eventstore.Any(), []eventstore.EventData{{ID: rec.ID, Type: rec.Type, Revision: rec.Revision, Data: rec.Data}})
				if err != nil {
					errs <- err
					for range work[i] {
					}
					return
				}
			}
		}()
	}
	f, err := os.Open(bundlePath)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if !bytes.HasPrefix(sc.Bytes(), []byte(`{"kind":"event"`)) {
			continue
		}
		var rec bundle.Event
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return err
		}
		env, err := events.Decode(rec.Data)
		if err != nil {
			return err
		}
		h := fnv.New32a()
		h.Write([]byte(env.Stream))
		work[h.Sum32()%writers] <- eventstore.RecordedEvent{ID: env.ID, Stream: env.Stream, Revision: env.Revision, Type: env.Type, Data: rec.Data}
	}
	for _, w := range work {
		close(w)
	}
	wg.Wait()
	close(errs)
	if err := errors.Join(sc.Err(), <-errs); err != nil {
		return err
	}
	seals, err := sqliteaudit.Open(ctx, tmp)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, seals.Close()) }()
	s, err := audit.NewSealer(store, seals, sealKey, func() time.Time { return t0.AddDate(2, 0, 0) })
	if err != nil {
		return err
	}
	if _, _, err := s.SealToHead(ctx); err != nil {
		return err
	}
	if err := store.Close(); err != nil {
		return err
	}
	if err := seals.Close(); err != nil {
		return err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		_ = os.Remove(tmp + suffix) // a clean close folds the WAL back
	}
	return os.Rename(tmp, path)
}

// BenchmarkInclusionProof1M proves one event of a sealed million-event
// SQLite ledger and checks the proof as an outsider would. ProveEvent is
// what `disputes prove` does: read the log, build the tree, take the audit
// path; its baseline, in the same run, is reading the log and building the
// tree alone. The proof from a built tree (what a long-running prover holding
// the tree pays) and the outsider's check are timed apart.
func BenchmarkInclusionProof1M(b *testing.B) {
	path := benchLedger(b)
	ctx := context.Background()
	raw, err := sqliteaudit.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	const target = benchEvents / 2
	recs, err := raw.ReadAll(ctx, target-1, 1)
	if err != nil || len(recs) != 1 {
		b.Fatalf("event at %d: %v", target, err)
	}
	id := recs[0].ID

	b.Run("baseline=buildTree", func(b *testing.B) {
		for b.Loop() {
			if _, err := audit.BuildTree(ctx, raw, benchEvents); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ProveEvent", func(b *testing.B) {
		for b.Loop() {
			if _, err := proof.ProveEvent(ctx, raw, raw, id, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	p, err := proof.ProveEvent(ctx, raw, raw, id, 0)
	if err != nil {
		b.Fatal(err)
	}
	doc, err := json.Marshal(p)
	if err != nil {
		b.Fatal(err)
	}
	tree, err := audit.BuildTree(ctx, raw, benchEvents)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fromTree", func(b *testing.B) {
		for b.Loop() {
			if _, err := tree.InclusionProof(target-1, benchEvents); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(p.Hashes)), "hashes/proof")
		b.ReportMetric(float64(32*len(p.Hashes)), "proof-bytes")
	})
	b.Run("VerifyProof", func(b *testing.B) {
		for b.Loop() {
			if _, err := proof.Verify(doc, pub()); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(doc)), "document-bytes")
		b.ReportMetric(float64(len(p.Hashes)), "hashes/proof")
	})
}

// BenchmarkVerifyLedger1M is `disputes verify --db` on the sealed
// million-event ledger: the same checks as a complete bundle, reading the
// events table directly.
func BenchmarkVerifyLedger1M(b *testing.B) {
	path := benchLedger(b)
	ctx := context.Background()
	raw, err := sqliteaudit.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	b.Run("baseline=readLog", func(b *testing.B) {
		for b.Loop() {
			n := 0
			if err := audit.ScanLog(ctx, raw, 0, 0, func(eventstore.RecordedEvent) error { n++; return nil }); err != nil || n != benchEvents {
				b.Fatalf("%d events: %v", n, err)
			}
		}
		reportEventRate(b, benchEvents)
	})
	b.Run("VerifyLog", func(b *testing.B) {
		for b.Loop() {
			rep, err := audit.VerifyLog(ctx, path, raw, raw, audit.Options{PublicKey: pub(), Policies: audit.NewPolicySet(policy.Default())})
			if err != nil {
				b.Fatal(err)
			}
			if !rep.OK() || rep.Events != benchEvents {
				b.Fatalf("events %d, findings %+v", rep.Events, rep.Findings)
			}
		}
		reportEventRate(b, benchEvents)
	})
}
