package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/cmd/internal/bench"
)

// benchCmd is `disputes bench`.
type benchCmd struct {
	Quick      bool          `name:"quick" help:"about two minutes: a 100,000-event ledger, shorter turns, fewer rounds (default: 1,000,000 events)"`
	Only       []string      `name:"only" sep:"," placeholder:"NAME" help:"measure only these figures: ${bench_figures}"`
	JSON       bool          `name:"json" help:"print the results as a JSON array of {name, value, unit, floor, ratio, …}"`
	Markdown   bool          `name:"markdown" help:"print the results as the summary tables of BENCHMARKS.md, with the machine described"`
	From       []string      `name:"from" placeholder:"FILE" help:"with --markdown: render these saved --json outputs instead of measuring, one table per ledger size (a run measured in parts with --only makes one)"`
	Update     string        `name:"update" placeholder:"FILE" help:"with --markdown: write the summary into FILE (BENCHMARKS.md) between its markers instead of printing it"`
	CPUProfile string        `name:"cpuprofile" placeholder:"FILE" help:"write a CPU profile of the whole run (figures and floors, pprof format) to FILE: what to read first when a ratio falls (go tool pprof -top FILE)"`
	Cache      string        `name:"cache" env:"DISPUTES_BENCH_CACHE" placeholder:"DIR" help:"where the generated ledgers are kept between runs (default: disputes-bench in the user cache directory)"`
	Events     int           `name:"events" hidden:"" help:"size of the generated ledger, overriding --quick's and the full run's (tests)"`
	Turn       time.Duration `name:"turn" hidden:"" help:"length of one timed turn (tests)"`
}

// Help says what the figures are and how to read them.
func (c *benchCmd) Help() string {
	return "Every figure is measured beside its floor (the same work done the cheapest way, with nothing of the ledger's own), " +
		"the two taking alternating turns for several rounds; each is the median of its rounds. " +
		"ratio is the share of the floor's speed reached: value ÷ floor for rates (/s), floor ÷ value for times (µs, ms). " +
		"The generated ledgers are cached between runs. See BENCHMARKS.md."
}

func (c *benchCmd) Run(ctx context.Context, e env) error {
	if len(c.From) > 0 {
		if !c.Markdown {
			return fmt.Errorf("%w: --from renders saved results: give --markdown too", errUsage)
		}
		return c.renderSaved(e)
	}
	if c.Update != "" && !c.Markdown {
		return fmt.Errorf("%w: --update writes the markdown summary: give --markdown too", errUsage)
	}
	if c.JSON && c.Markdown {
		return fmt.Errorf("%w: give --json or --markdown, not both", errUsage)
	}
	opts, err := c.options(e)
	if err != nil {
		return err
	}
	stop, err := startCPUProfile(c.CPUProfile)
	if err != nil {
		return err
	}
	results, err := bench.Run(ctx, opts)
	err = errors.Join(err, stop())
	if errors.Is(err, bench.ErrUnknownFigure) {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if len(results) == 0 {
		return err
	}
	// The figures measured before a failure or an interrupt are printed
	// all the same: a full run takes long.
	return errors.Join(c.print(e, results), err)
}

func (c *benchCmd) print(e env, results []bench.Result) error {
	switch {
	case c.JSON:
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	case c.Markdown:
		return c.writeMarkdown(e, []bench.Section{c.section(results)})
	}
	return writeBenchTable(e.stdout, results)
}

func (c *benchCmd) options(e env) (bench.Options, error) {
	opts := bench.Options{Events: bench.FullEvents, Quick: c.Quick, Only: c.Only, CacheDir: c.Cache, Turn: c.Turn, Log: e.stderr}
	if c.Quick {
		opts.Events = bench.QuickEvents
	}
	if c.Events != 0 {
		opts.Events = c.Events
	}
	if opts.Events <= 0 {
		return opts, fmt.Errorf("%w: --events must be positive", errUsage)
	}
	if opts.CacheDir == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return opts, fmt.Errorf("no cache directory for the generated ledgers (give --cache DIR): %w", err)
		}
		opts.CacheDir = filepath.Join(dir, "disputes-bench")
	}
	if isTerminal(e.stderr) {
		opts.Progress = e.stderr
	}
	return opts, nil
}

// section titles a run's results by its size.
func (c *benchCmd) section(results []bench.Result) bench.Section {
	if len(results) > 0 && results[0].Events == bench.QuickEvents {
		return bench.Section{Title: "Quick run", Command: "disputes bench --quick", Results: results}
	}
	if len(results) > 0 && results[0].Events == bench.FullEvents {
		return bench.Section{Title: "Full run", Command: "disputes bench", Results: results}
	}
	events := 0
	if len(results) > 0 {
		events = results[0].Events
	}
	return bench.Section{Title: "Run", Command: fmt.Sprintf("disputes bench --events %d", events), Results: results}
}

// renderSaved prints saved --json outputs as markdown: one section per
// ledger size, so a run measured in parts (--only) is one table, each
// figure in the bench's order (a figure saved twice: the later file's).
func (c *benchCmd) renderSaved(e env) error {
	bySize := map[int][]bench.Result{}
	var sizes []int
	for _, name := range c.From {
		raw, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		var results []bench.Result
		if err := json.Unmarshal(raw, &results); err != nil {
			return fmt.Errorf("%s: not the output of disputes bench --json: %w", name, err)
		}
		for _, r := range results {
			if _, seen := bySize[r.Events]; !seen {
				sizes = append(sizes, r.Events)
			}
			bySize[r.Events] = append(slices.DeleteFunc(bySize[r.Events], func(o bench.Result) bool { return o.Name == r.Name }), r)
		}
	}
	order := map[string]int{}
	for i, name := range bench.Names() {
		order[name] = i
	}
	var sections []bench.Section
	for _, size := range sizes {
		results := bySize[size]
		slices.SortStableFunc(results, func(a, b bench.Result) int { return cmp.Compare(order[figureOf(a.Name)], order[figureOf(b.Name)]) })
		sections = append(sections, c.section(results))
	}
	return c.writeMarkdown(e, sections)
}

// figureOf is the figure a result belongs to: http_commands_64_p99 is
// http_commands_64's.
func figureOf(result string) string {
	return strings.TrimSuffix(strings.TrimSuffix(result, "_p50"), "_p99")
}

// writeMarkdown prints the summary, or writes it into --update's file.
func (c *benchCmd) writeMarkdown(e env, sections []bench.Section) error {
	if c.Update == "" {
		return bench.WriteMarkdown(e.stdout, bench.ThisMachine(), sections)
	}
	var b strings.Builder
	if err := bench.WriteMarkdown(&b, bench.ThisMachine(), sections); err != nil {
		return err
	}
	doc, err := os.ReadFile(c.Update)
	if err != nil {
		return err
	}
	out, err := bench.ReplaceSummary(doc, b.String())
	if err != nil {
		return fmt.Errorf("%s: %w", c.Update, err)
	}
	return os.WriteFile(c.Update, out, 0o644)
}

// writeBenchTable prints the results for people.
func writeBenchTable(w io.Writer, results []bench.Result) error {
	t := newTable(w, false)
	fmt.Fprintln(t, "FIGURE\tVALUE\tFLOOR\tRATIO\tPEAK MEMORY\t")
	for _, r := range results {
		peak := "-"
		if r.PeakMemBytes > 0 {
			peak = fmt.Sprintf("%.0f MB", float64(r.PeakMemBytes)/(1<<20))
		}
		fmt.Fprintf(t, "%s\t%.6g %s\t%.6g\t%.2f\t%s\t\n", r.Name, r.Value, r.Unit, r.Floor, r.Ratio, peak)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\nratio: value ÷ floor for rates (/s), floor ÷ value for times (µs, ms); 1 is the floor's speed.\n"+
		"The floors: disputes bench --json (floor_is). Figures: "+strings.Join(bench.Names(), ", "))
	return err
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
