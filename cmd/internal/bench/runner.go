package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"time"
)

// runner is what the figures share in one run: the options, the cached
// ledgers and the progress display.
type runner struct {
	opts     Options
	progress *progress
	cache    *cache
	scratch  string // a temporary directory for this run's files
}

func newRunner(opts Options, chosen []figure) *runner {
	names := make([]string, len(chosen))
	for i, f := range chosen {
		names[i] = f.name
	}
	return &runner{opts: opts, progress: newProgress(opts.Progress, names), cache: &cache{dir: opts.CacheDir, events: opts.Events}}
}

// tempDir returns a fresh directory under the run's scratch directory,
// removed when the run ends.
func (r *runner) tempDir() (string, error) {
	if r.scratch == "" {
		dir, err := os.MkdirTemp("", "disputes-bench-")
		if err != nil {
			return "", err
		}
		r.scratch = dir
	}
	return os.MkdirTemp(r.scratch, "t")
}

func (r *runner) close() {
	r.progress.clear()
	if r.scratch != "" {
		_ = os.RemoveAll(r.scratch)
	}
}

func (r *runner) start(i int, name string) { r.progress.figure(i, name) }
func (r *runner) finish()                  { r.progress.clear() }

// status shows what the current figure is doing.
func (r *runner) status(format string, args ...any) { r.progress.status(fmt.Sprintf(format, args...)) }

// logf writes a line to Options.Log.
func (r *runner) logf(format string, args ...any) {
	if r.opts.Log != nil {
		r.progress.clear()
		fmt.Fprintf(r.opts.Log, format+"\n", args...)
	}
}

// turnFunc does one turn of work: it returns how much it did (events,
// commands, loads) and how long that took.
type turnFunc func(ctx context.Context) (work float64, took time.Duration, err error)

// measured is what alternate gathered: each side's rate (work per second)
// in every round, and the peak resident memory over the figure's turns.
type measured struct {
	floor, figure []float64
	peak          uint64
}

// alternate runs floor and figure in turn, floor first, for rounds rounds.
// Before every turn the heap is collected and returned to the system, so a
// turn neither pays for nor profits from the garbage of the one before, and
// the memory sampled during the figure's turn is its own.
func (r *runner) alternate(ctx context.Context, rounds int, floor, fig turnFunc) (measured, error) {
	var m measured
	for round := range rounds {
		for _, side := range []struct {
			name string
			fn   turnFunc
			into *[]float64
		}{{"floor", floor, &m.floor}, {"figure", fig, &m.figure}} {
			if err := ctx.Err(); err != nil {
				return m, err
			}
			r.status("round %d/%d: %s", round+1, rounds, side.name)
			debug.FreeOSMemory()
			var mem *memSampler
			if side.name == "figure" {
				mem = startSampling()
			}
			work, took, err := side.fn(ctx)
			if mem != nil {
				m.peak = max(m.peak, mem.stop())
			}
			if err != nil {
				return m, fmt.Errorf("%s, round %d: %w", side.name, round+1, err)
			}
			if work <= 0 || took <= 0 {
				return m, fmt.Errorf("%s, round %d: did no work (%v in %s)", side.name, round+1, work, took)
			}
			*side.into = append(*side.into, work/took.Seconds())
		}
	}
	return m, nil
}

// rateResult is the Result of a rate figure: the medians of both sides.
func rateResult(name, unit, floorIs string, m measured) Result {
	v, f := median(m.figure), median(m.floor)
	return Result{Name: name, Value: v, Unit: unit, Floor: f, Ratio: RatioOf(v, f, unit), FloorIs: floorIs,
		PeakMemBytes: m.peak, Rounds: len(m.figure)}
}

// timeResult is the Result of a time figure measured as rates of
// operations per second: the median rates turned into µs per operation.
func timeResult(name, floorIs string, m measured) Result {
	v, f := 1e6/median(m.figure), 1e6/median(m.floor)
	return Result{Name: name, Value: v, Unit: "µs", Floor: f, Ratio: RatioOf(v, f, "µs"), FloorIs: floorIs,
		PeakMemBytes: m.peak, Rounds: len(m.figure)}
}

// median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// timed runs fn over and over for at least d, and returns how many times it
// ran and for how long.
func timed(ctx context.Context, d time.Duration, fn func() error) (float64, time.Duration, error) {
	start := time.Now()
	n := 0
	for {
		if err := fn(); err != nil {
			return float64(n), time.Since(start), err
		}
		n++
		if took := time.Since(start); took >= d || ctx.Err() != nil {
			return float64(n), took, ctx.Err()
		}
	}
}

// scratchFile is a path for a new file in a fresh scratch directory.
func (r *runner) scratchFile(name string) (string, error) {
	dir, err := r.tempDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, name), nil
}
