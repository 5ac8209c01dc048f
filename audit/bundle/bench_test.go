package bundle_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/bundle"
	"github.com/disputes-ledger/disputes/audit/internal/fixture"
	"github.com/disputes-ledger/disputes/audit/merkle"
	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// benchEvents is the size of the benchmark bundle; benchSealEvery how often
// it is sealed.
const (
	benchEvents    = 1_000_000
	benchSealEvery = 100_000
	// benchBundleVersion names the cached file: bump it when the fixture or
	// the format changes.
	benchBundleVersion = "v1"
)

var errEnough = errors.New("enough events")

// benchBundle returns a complete bundle of n fixture events sealed every
// benchSealEvery events. It is generated once (about a minute for a
// million events) and cached in the temporary directory across runs.
func benchBundle(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("disputes-audit-bench-%s-%d.jsonl", benchBundleVersion, n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := writeBenchBundle(path, n); err != nil {
		b.Fatal(err)
	}
	return path
}

func writeBenchBundle(path string, n int) (err error) {
	part, err := os.CreateTemp(filepath.Dir(path), "bench-events-*")
	if err != nil {
		return err
	}
	defer os.Remove(part.Name())
	defer part.Close()
	ew := bundle.NewWriter(part)
	var (
		f     merkle.Frontier
		seals []seal.Seal
	)
	at := t0.AddDate(1, 0, 0)
	gen := fixture.NewStream(policy.Default(), func(pos uint64, env events.Envelope, data []byte) error {
		if pos > uint64(n) {
			return errEnough
		}
		leaf, err := audit.LeafHash(env.Hash)
		if err != nil {
			return err
		}
		f.Append(leaf)
		if f.Size()%benchSealEvery == 0 || f.Size() == uint64(n) {
			s, err := seal.Sign(sealKey, f.Size(), f.Root(), at.Add(time.Duration(f.Size())*time.Second))
			if err != nil {
				return err
			}
			seals = append(seals, s)
		}
		return ew.Event(pos, data, nil, nil)
	})
	// Flows in chunks keep the scripted steps of a few thousand tickets in
	// memory at a time; tickets of one chunk interleave like a live log.
	const chunk = 5000
	for i := 0; f.Size() < uint64(n); i++ {
		flows := fixture.FlowsEvery(t0.Add(time.Duration(i)*chunk*7*time.Minute), chunk, 7*time.Minute)
		for j := range flows {
			flows[j] = fixture.NewFlow(flows[j].Kind, i*chunk+j, flows[j].Start)
		}
		if err := fixture.Run(context.Background(), flows, gen); err != nil && !errors.Is(err, errEnough) {
			return err
		}
	}
	if err := ew.Flush(); err != nil {
		return err
	}

	tmp := path + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	defer out.Close()
	w := bundle.NewWriter(out)
	if err := w.Header(bundle.Header{CreatedAt: at, Scope: bundle.Scope{Kind: bundle.ScopeAll}, Complete: true, LogSize: uint64(n), Events: n}); err != nil {
		return err
	}
	if err := w.PublicKey(pub()); err != nil {
		return err
	}
	if err := w.Policy(policy.Default()); err != nil {
		return err
	}
	for _, s := range seals {
		if err := w.Seal(s); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if _, err := part.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.Copy(out, part); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func reportEventRate(b *testing.B, n int) {
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkVerifyBundle1M verifies a complete bundle of a million events:
// every hash, chain, seal root and signature, and the legality replay of
// every ticket. Baselines in the same run: reading the lines, and reading
// them plus events.Decode of every event (the floor any verifier of these
// bundles pays, since every hash must be recomputed).
func BenchmarkVerifyBundle1M(b *testing.B) {
	path := benchBundle(b, benchEvents)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline=readLines", func(b *testing.B) {
		b.SetBytes(st.Size())
		for b.Loop() {
			n := scanEvents(b, path, func([]byte) {})
			if n != benchEvents {
				b.Fatalf("%d events", n)
			}
		}
		reportEventRate(b, benchEvents)
	})
	b.Run("baseline=decodeOnly", func(b *testing.B) {
		b.SetBytes(st.Size())
		for b.Loop() {
			scanEvents(b, path, func(data []byte) {
				if _, err := events.Decode(data); err != nil {
					b.Fatal(err)
				}
			})
		}
		reportEventRate(b, benchEvents)
	})
	for _, workers := range []int{0, -1} {
		name := "Verify"
		if workers < 0 {
			name = "VerifySequential"
		}
		b.Run(name, func(b *testing.B) {
			defer bundle.SetPrepareWorkers(bundle.SetPrepareWorkers(workers))
			verifyBench(b, path, st.Size())
		})
	}
}

// verifyBench verifies the bundle at path once per iteration.
func verifyBench(b *testing.B, path string, size int64) {
	b.SetBytes(size)
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		rep, err := bundle.Verify(f, path, audit.Options{PublicKey: pub()})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		if !rep.OK() || rep.Events != benchEvents || rep.SealedSize != benchEvents {
			b.Fatalf("report: events %d, sealed %d, findings %+v", rep.Events, rep.SealedSize, rep.Findings)
		}
	}
	reportEventRate(b, benchEvents)
}

// scanEvents calls fn with the data of every event line.
func scanEvents(b *testing.B, path string, fn func([]byte)) int {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	n := 0
	key := []byte(`,"data":`)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte(`{"kind":"event"`)) {
			continue
		}
		i := bytes.Index(line, key)
		fn(line[i+len(key) : len(line)-1])
		n++
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	return n
}
