package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/bundle"
	"github.com/disputes-ledger/disputes/audit/sqliteaudit"
	"github.com/disputes-ledger/disputes/cmd/internal/batchgc"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/follow"
)

// verifyBundle: `disputes verify BUNDLE` on a complete bundle of the
// generated ledger (every hash, chain, seal and signature, every ticket's
// decisions decided again), under the command's GC settings (batchgc); the
// floor is reading the bundle's event lines and decoding each event
// strictly on one goroutine, which any verifier of these bundles pays:
// every event's hash must be recomputed.
func verifyBundle(ctx context.Context, r *runner) ([]Result, error) {
	path, err := r.bundlePath(ctx)
	if err != nil {
		return nil, err
	}
	n, err := eventLines(path, nil)
	if err != nil {
		return nil, err
	}
	floor := func(ctx context.Context) (float64, time.Duration, error) {
		return timedPass(uint64(n), func() error {
			_, err := eventLines(path, func(data []byte) error {
				_, err := events.Decode(data)
				return err
			})
			return err
		})
	}
	fig := func(ctx context.Context) (float64, time.Duration, error) {
		defer batchgc.SetVerify()() // as `disputes verify BUNDLE` runs
		return timedPass(uint64(n), func() error {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			rep, err := bundle.Verify(f, path, audit.Options{PublicKey: sealPublic()})
			if err != nil {
				return err
			}
			return reportOK(rep, n)
		})
	}
	m, err := r.alternate(ctx, r.opts.passRounds(), floor, fig)
	if err != nil {
		return nil, err
	}
	return []Result{rateResult("verify_bundle", "events/s", "reading the bundle and strictly decoding every event on one goroutine", m)}, nil
}

// verifyLedger: `disputes verify --db` on the generated, sealed ledger,
// under the command's GC settings (batchgc); the floor is the raw read of its events table (audit.ScanLog).
func verifyLedger(ctx context.Context, r *runner) ([]Result, error) {
	path, err := r.streamsWhole(ctx)
	if err != nil {
		return nil, err
	}
	raw, err := sqliteaudit.OpenReadOnly(ctx, path)
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	head, err := follow.Head(ctx, raw)
	if err != nil {
		return nil, err
	}
	floor := func(ctx context.Context) (float64, time.Duration, error) {
		return timedPass(head, func() error {
			n := uint64(0)
			err := audit.ScanLog(ctx, raw, 0, 0, func(eventstore.RecordedEvent) error { n++; return nil })
			if err == nil && n != head {
				err = fmt.Errorf("read %d events, want %d", n, head)
			}
			return err
		})
	}
	fig := func(ctx context.Context) (float64, time.Duration, error) {
		defer batchgc.SetVerify()() // as `disputes verify --db` runs
		return timedPass(head, func() error {
			rep, err := audit.VerifyLog(ctx, path, raw, raw, audit.Options{PublicKey: sealPublic(), Policies: audit.NewPolicySet(policy.Default())})
			if err != nil {
				return err
			}
			return reportOK(rep, int(head))
		})
	}
	m, err := r.alternate(ctx, r.opts.passRounds(), floor, fig)
	if err != nil {
		return nil, err
	}
	return []Result{rateResult("verify_ledger", "events/s", "the raw read of the events table (audit.ScanLog)", m)}, nil
}

// reportOK fails unless the verification passed over n events.
func reportOK(rep *audit.Report, n int) error {
	if !rep.OK() || rep.Events != n {
		return fmt.Errorf("verification of %d events: %d events checked, findings %v", n, rep.Events, rep.Findings)
	}
	return nil
}

// eventLines calls fn (when not nil) with the data of every event line of
// the bundle at path, and returns how many there are.
func eventLines(path string, fn func([]byte) error) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var (
		prefix = []byte(`{"kind":"event"`)
		key    = []byte(`,"data":`)
		n      int
	)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, prefix) {
			continue
		}
		n++
		if fn == nil {
			continue
		}
		i := bytes.Index(line, key)
		if i < 0 {
			return n, fmt.Errorf("%s: event line %d has no data", path, n)
		}
		if err := fn(line[i+len(key) : len(line)-1]); err != nil {
			return n, fmt.Errorf("%s: event %d: %w", path, n, err)
		}
	}
	return n, sc.Err()
}
