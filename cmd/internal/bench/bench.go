// Package bench is `disputes bench`: every performance figure of the ledger
// measured beside its floor in the same run, on a generated ledger it
// caches. A floor is the cheapest way to do the same work with nothing of
// the ledger's own (a raw INSERT, a raw scan, a strict decode on one
// goroutine…); the figure and its floor take alternating turns, round after
// round, so that the load of a shared machine weighs on both alike, and each
// is reported as the median of its rounds.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Result is one figure of a run, as `disputes bench --json` prints it.
type Result struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	Floor float64 `json:"floor"`
	// Ratio reads the same way for every unit: the share of the floor's
	// speed the figure reaches, 1 being as fast as the floor. For a rate
	// (a unit ending in "/s") it is Value ÷ Floor; for a time (µs, ms) it is
	// Floor ÷ Value.
	Ratio float64 `json:"ratio"`
	// FloorIs says what the floor is.
	FloorIs string `json:"floor_is"`
	// PeakMemBytes is the process's resident memory at its highest while
	// the figure's own turns ran (sampled; not during the floor's turns).
	PeakMemBytes uint64 `json:"peak_mem_bytes,omitempty"`
	// Rounds is how many turns each side took.
	Rounds int `json:"rounds"`
	// Events is the size of the generated ledger of the run (the read
	// figures' log).
	Events int `json:"events"`
	// LoadAvg is the machine's one-minute load average when the figure
	// ended (Linux; 0 elsewhere): how much else was running.
	LoadAvg float64 `json:"load_avg,omitempty"`
}

// IsRate reports whether unit is a rate (higher is faster) rather than a
// time (lower is faster).
func IsRate(unit string) bool { return strings.HasSuffix(unit, "/s") }

// RatioOf is Result.Ratio for a value and its floor in unit.
func RatioOf(value, floor float64, unit string) float64 {
	if value <= 0 || floor <= 0 {
		return 0
	}
	if IsRate(unit) {
		return value / floor
	}
	return floor / value
}

// Options configure a run.
type Options struct {
	// Events is the size of the generated ledger the read-side figures run
	// on.
	Events int
	// Quick shortens every turn and takes fewer rounds.
	Quick bool
	// Only names the figures to run (Names); none means all.
	Only []string
	// CacheDir holds the generated ledgers between runs.
	CacheDir string
	// Progress receives a one-line progress display; nil for none.
	Progress io.Writer
	// Log receives a line per phase that takes long (generating a ledger);
	// nil for none.
	Log io.Writer
	// Turn, if not 0, overrides the length of one timed turn (tests).
	Turn time.Duration
}

// Full and Quick sizes of the generated ledger.
const (
	FullEvents  = 1_000_000
	QuickEvents = 100_000
)

// figure is one named measurement; run returns its results (several for
// the HTTP figures: the rate and its latencies).
type figure struct {
	name string
	run  func(ctx context.Context, r *runner) ([]Result, error)
}

// figures are every measurement, in the order they run.
var figures = []figure{
	{"append_1_writer", appendOneWriter},
	{"append_64_writers", appendManyWriters},
	{"http_commands_1", httpCommands(1)},
	{"http_commands_16", httpCommands(16)},
	{"http_commands_64", httpCommands(64)},
	{"load_ticket_30", loadTicket30},
	{"log_decode", logDecode},
	{"rebuild_all", rebuildAll},
	{"rebuild_all_time_ordered", rebuildTimeOrdered},
	{"verify_bundle", verifyBundle},
	{"verify_ledger", verifyLedger},
}

// Names are the figures `--only` takes, in the order they run.
func Names() []string {
	out := make([]string, len(figures))
	for i, f := range figures {
		out[i] = f.name
	}
	return out
}

// ErrUnknownFigure is returned for a name in Options.Only that is no figure.
var ErrUnknownFigure = errors.New("unknown figure")

// Run measures the figures opts selects and returns their results in order.
func Run(ctx context.Context, opts Options) ([]Result, error) {
	if opts.Events <= 0 {
		return nil, fmt.Errorf("bench: %d events: want a positive number", opts.Events)
	}
	chosen, err := choose(opts.Only)
	if err != nil {
		return nil, err
	}
	r := newRunner(opts, chosen)
	defer r.close()
	var out []Result
	for i, f := range chosen {
		r.start(i, f.name)
		res, err := f.run(ctx, r)
		if err != nil {
			return out, fmt.Errorf("bench %s: %w", f.name, err)
		}
		load := loadAverage()
		for i := range res {
			res[i].Events, res[i].LoadAvg = opts.Events, load
		}
		out = append(out, res...)
	}
	r.finish()
	return out, nil
}

func choose(only []string) ([]figure, error) {
	if len(only) == 0 {
		return figures, nil
	}
	var out []figure
	for _, f := range figures {
		if slices.Contains(only, f.name) {
			out = append(out, f)
		}
	}
	for _, name := range only {
		if !slices.Contains(Names(), name) {
			return nil, fmt.Errorf("%w %q: choose from %s", ErrUnknownFigure, name, strings.Join(Names(), ", "))
		}
	}
	return out, nil
}

// rounds and turn lengths of a run.
func (o Options) rounds() int {
	if o.Quick {
		return 3
	}
	return 5
}

// turn is how long one timed turn of a figure or its floor lasts.
func (o Options) turn() time.Duration {
	if o.Turn > 0 {
		return o.Turn
	}
	if o.Quick {
		return 400 * time.Millisecond
	}
	return time.Second
}

// passRounds is how many rounds a figure takes whose turn is one pass over
// the whole ledger (rebuild, verify).
func (o Options) passRounds() int { return 3 }
