package sim

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
)

var seedFlag = flag.Uint64("seed", 0, "replay one simulation seed (go test ./sim -run 'TestSimulation$' -seed=N)")

// defaultSeeds is how many seeds `go test ./sim` runs; DISPUTES_SIM_SEEDS
// (or `make sim`) runs more.
const defaultSeeds = 50

// seeds returns the seeds to run: the -seed flag's alone, else
// DISPUTES_SIM_SEEDS of them (default defaultSeeds) from 1.
func seeds(t *testing.T) []uint64 {
	if *seedFlag != 0 {
		return []uint64{*seedFlag}
	}
	n := defaultSeeds
	if s := os.Getenv("DISPUTES_SIM_SEEDS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			t.Fatalf("DISPUTES_SIM_SEEDS=%q: want a positive number", s)
		}
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i + 1)
	}
	return out
}

// TestSimulation runs the ledger's real parts under a seeded schedule of
// faults, one seed per subtest, and fails with the seed, the broken
// invariants and the trimmed trace.
func TestSimulation(t *testing.T) {
	all := seeds(t)
	var (
		mu    sync.Mutex
		total Stats
	)
	if len(all) >= 20 {
		// Once every seed has run: a green run must have exercised what the
		// invariants are about.
		t.Cleanup(func() { checkExercised(t, total, len(all)) })
	}
	for _, seed := range all {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			res, err := Run(context.Background(), Config{Seed: seed, Dir: runDir(t)})
			if err != nil {
				t.Fatalf("seed %d: the run could not be carried out: %v\nreplay: go test ./sim -run 'TestSimulation$' -seed=%d -v", seed, err, seed)
			}
			if !res.OK() {
				t.Fatal(res.Report())
			}
			mu.Lock()
			total.add(res.Stats)
			mu.Unlock()
			if *seedFlag != 0 || testing.Verbose() {
				t.Logf("seed %d: %+v", seed, res.Stats)
			}
		})
	}
}

// runDir is a fresh directory for one run's files: in memory (/dev/shm)
// where there is one, since a run's thousands of commits would otherwise
// wait on the disk's fsyncs; DISPUTES_SIM_DIR chooses another parent.
func runDir(t *testing.T) string {
	parent := os.Getenv("DISPUTES_SIM_DIR")
	if parent == "" {
		if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
			parent = "/dev/shm"
		}
	}
	if parent == "" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp(parent, "disputes-sim-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// TestSameSeedSameRun: a seed replays exactly — the same operations, faults,
// steps and outcomes, line for line — which is what makes a failing seed
// worth printing.
func TestSameSeedSameRun(t *testing.T) {
	var traces [2][]string
	for i := range traces {
		res, err := Run(context.Background(), Config{Seed: 7, Dir: runDir(t), Tickets: 5})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range res.Trace {
			traces[i] = append(traces[i], fmt.Sprintf("%d %v %s", l.Op, l.Tickets, l.Text))
		}
	}
	if len(traces[0]) < 30 {
		t.Fatalf("seed 7 traced only %d lines: the workload is not running", len(traces[0]))
	}
	for i := range max(len(traces[0]), len(traces[1])) {
		if i >= len(traces[0]) || i >= len(traces[1]) || traces[0][i] != traces[1][i] {
			t.Fatalf("seed 7 ran differently the second time from line %d:\n first: %q\nsecond: %q", i, at(traces[0], i), at(traces[1], i))
		}
	}
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(end)"
}

func (s *Stats) add(o Stats) {
	s.Ops += o.Ops
	s.Accepted += o.Accepted
	s.Refused += o.Refused
	s.Unknown += o.Unknown
	s.Duplicates += o.Duplicates
	s.Reads += o.Reads
	s.Fired += o.Fired
	s.Crashes += o.Crashes
	s.ClockJumps += o.ClockJumps
	s.AppendFaults += o.AppendFaults
	s.ReadFaults += o.ReadFaults
	s.Seals += o.Seals
	s.Checks += o.Checks
	s.Events += o.Events
}

// checkExercised fails a green set of runs that did not do what the
// invariants are about — commands accepted and refused, replays, expiries
// fired by the schedulers, crashes, faulted appends and reads, clock jumps,
// seals — so that green means something.
func checkExercised(t *testing.T, total Stats, seeds int) {
	t.Logf("%d seeds: %+v", seeds, total)
	for name, n := range map[string]int{"accepted commands": total.Accepted, "refused commands": total.Refused,
		"duplicates": total.Duplicates, "expiries fired": total.Fired, "crashes": total.Crashes,
		"append faults": total.AppendFaults, "unknown outcomes": total.Unknown, "seals": total.Seals,
		"reads": total.Reads, "read faults": total.ReadFaults, "clock jumps": total.ClockJumps} {
		if n == 0 {
			t.Errorf("no %s in %d seeds", name, seeds)
		}
	}
}
