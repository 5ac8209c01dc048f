package main

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/cmd/internal/bench"
)

// benchUnits are the figures `disputes bench --json` reports, in order,
// with their units.
var benchUnits = []struct{ name, unit string }{
	{"append_1_writer", "events/s"},
	{"append_64_writers", "events/s"},
	{"http_commands_1", "commands/s"}, {"http_commands_1_p50", "ms"}, {"http_commands_1_p99", "ms"},
	{"http_commands_16", "commands/s"}, {"http_commands_16_p50", "ms"}, {"http_commands_16_p99", "ms"},
	{"http_commands_64", "commands/s"}, {"http_commands_64_p50", "ms"}, {"http_commands_64_p99", "ms"},
	{"load_ticket_30", "µs"},
	{"log_decode", "events/s"},
	{"rebuild_all", "events/s"},
	{"rebuild_all_time_ordered", "events/s"},
	{"verify_bundle", "events/s"},
	{"verify_ledger", "events/s"},
}

// TestBenchMeasuresEveryFigure runs the whole bench end to end on a tiny
// generated ledger with short turns: every figure is there, with its unit,
// a positive value and floor, the ratio the documented way round, a peak
// memory, and the ledgers are left complete in the cache for the next run.
func TestBenchMeasuresEveryFigure(t *testing.T) {
	t.Parallel()
	cache := t.TempDir()
	code, out, errOut := runCLI(t, "", "bench", "--quick", "--events", "600", "--turn", "15ms", "--cache", cache, "--json")
	require.Equal(t, 0, code, errOut)
	var results []bench.Result
	require.NoError(t, json.Unmarshal([]byte(out), &results), out)
	require.Len(t, results, len(benchUnits), out)
	for i, want := range benchUnits {
		r := results[i]
		assert.Equal(t, want.name, r.Name)
		assert.Equal(t, want.unit, r.Unit, r.Name)
		assert.Positive(t, r.Value, r.Name)
		assert.Positive(t, r.Floor, r.Name)
		if bench.IsRate(r.Unit) {
			assert.InEpsilon(t, r.Value/r.Floor, r.Ratio, 1e-9, "%s: ratio = value ÷ floor for a rate", r.Name)
		} else {
			assert.InEpsilon(t, r.Floor/r.Value, r.Ratio, 1e-9, "%s: ratio = floor ÷ value for a time", r.Name)
		}
		assert.Positive(t, r.PeakMemBytes, r.Name)
		wantRounds := 3
		if strings.HasPrefix(r.Name, "append_") {
			wantRounds = 5 // the appends' own, longer (cmd/internal/bench/append.go)
		}
		assert.Equal(t, wantRounds, r.Rounds, r.Name)
		assert.Equal(t, 600, r.Events, r.Name)
		assert.NotEmpty(t, r.FloorIs, r.Name)
	}
	complete, err := filepath.Glob(filepath.Join(cache, "*.complete"))
	require.NoError(t, err)
	assert.Len(t, complete, 3, "streams-whole ledger, time-ordered ledger and bundle cached")
	assert.NotContains(t, errOut, "\r", "no progress display when stderr is not a terminal")
}

func TestBenchOnlyAndUsage(t *testing.T) {
	t.Parallel()
	cache := t.TempDir()
	code, out, errOut := runCLI(t, "", "bench", "--only", "load_ticket_30,append_1_writer", "--turn", "10ms", "--cache", cache, "--json")
	require.Equal(t, 0, code, errOut)
	var results []bench.Result
	require.NoError(t, json.Unmarshal([]byte(out), &results), out)
	require.Len(t, results, 2)
	assert.Equal(t, "append_1_writer", results[0].Name, "in the bench's order, not --only's")
	assert.Equal(t, "load_ticket_30", results[1].Name)
	assert.Equal(t, 7, results[0].Rounds, "a full run takes seven rounds of the appends")
	assert.Equal(t, 5, results[1].Rounds, "and five of the other figures")

	// A figure that fails (here: no cache directory for its ledger) ends
	// the run, after the figures measured before it are printed.
	notADir := filepath.Join(cache, "file")
	require.NoError(t, os.WriteFile(notADir, nil, 0o644))
	code, out, errOut = runCLI(t, "", "bench", "--only", "load_ticket_30,log_decode", "--turn", "10ms", "--cache", notADir, "--json")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "bench log_decode")
	require.NoError(t, json.Unmarshal([]byte(out), &results), out)
	if assert.Len(t, results, 1) {
		assert.Equal(t, "load_ticket_30", results[0].Name)
	}

	for _, args := range [][]string{
		{"--only", "rebuild"},
		{"--json", "--markdown"},
		{"--from", "x.json"},
		{"--update", "BENCHMARKS.md"},
		{"--events", "-3"},
	} {
		code, _, errOut := runCLI(t, "", append([]string{"bench", "--cache", cache}, args...)...)
		assert.Equal(t, 2, code, "%v: %s", args, errOut)
	}
	_, _, errOut = runCLI(t, "", "bench", "--only", "rebuild", "--cache", cache)
	assert.Contains(t, errOut, "rebuild_all_time_ordered", "an unknown figure is answered with the known ones")
}

// TestBenchMarkdownFromSavedRuns renders saved --json outputs as
// BENCHMARKS.md's tables, titled by their size.
func TestBenchMarkdownFromSavedRuns(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	quick := []bench.Result{{Name: "rebuild_all", Value: 90000, Unit: "events/s", Floor: 180000, Ratio: 0.5, FloorIs: "scan", PeakMemBytes: 200 << 20, Rounds: 3, Events: bench.QuickEvents, LoadAvg: 3.14}}
	full := []bench.Result{{Name: "load_ticket_30", Value: 104.4, Unit: "µs", Floor: 52.2, Ratio: 0.5, FloorIs: "read", Rounds: 5, Events: bench.FullEvents}}
	// The full run measured in two parts (--only), the first holding a
	// figure the second measured again.
	fullFirstPart := []bench.Result{
		{Name: "verify_ledger", Value: 1, Unit: "events/s", Floor: 2, Ratio: 0.5, FloorIs: "raw", Rounds: 3, Events: bench.FullEvents},
		{Name: "load_ticket_30", Value: 999, Unit: "µs", Floor: 52.2, Ratio: 0.05, FloorIs: "read", Rounds: 5, Events: bench.FullEvents},
	}
	var files []string
	for i, rs := range [][]bench.Result{quick, fullFirstPart, full} {
		raw, err := json.Marshal(rs)
		require.NoError(t, err)
		name := filepath.Join(dir, []string{"quick.json", "full-1.json", "full-2.json"}[i])
		require.NoError(t, os.WriteFile(name, raw, 0o644))
		files = append(files, name)
	}
	code, out, errOut := runCLI(t, "", "bench", "--markdown", "--from", strings.Join(files, ","))
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "Machine: ")
	assert.Contains(t, out, "**Quick run** (generated ledger of 100,000 events)")
	assert.Contains(t, out, "    disputes bench --quick\n")
	assert.Contains(t, out, "| `rebuild_all` | 90,000 events/s | 180,000 | 0.50 | 200 MB | 3.1 | scan |")
	assert.Contains(t, out, "**Full run** (generated ledger of 1,000,000 events)")
	assert.Contains(t, out, "| `load_ticket_30` | 104 µs | 52.2 | 0.50 | — | 0.0 | read |\n| `verify_ledger` | 1.00 events/s |",
		"the parts of a run are one table, in the bench's order, a figure measured twice shown once (the later)")
	assert.NotContains(t, out, "999")
	assert.Equal(t, 1, strings.Count(out, "**Full run**"))

	doc := filepath.Join(dir, "BENCHMARKS.md")
	require.NoError(t, os.WriteFile(doc, []byte("# Benchmarks\n\n"+bench.SummaryBegin+"\nold figures\n"+bench.SummaryEnd+"\n\n## Older\n"), 0o644))
	code, out, errOut = runCLI(t, "", "bench", "--markdown", "--from", files[0], "--update", doc)
	require.Equal(t, 0, code, errOut)
	assert.Empty(t, out, "--update writes the file, not stdout")
	updated, err := os.ReadFile(doc)
	require.NoError(t, err)
	assert.NotContains(t, string(updated), "old figures")
	assert.Contains(t, string(updated), "# Benchmarks\n\n"+bench.SummaryBegin+"\nMachine: ")
	assert.Contains(t, string(updated), "| `rebuild_all` | 90,000 events/s")
	assert.Contains(t, string(updated), bench.SummaryEnd+"\n\n## Older\n")

	noMarkers := filepath.Join(dir, "other.md")
	require.NoError(t, os.WriteFile(noMarkers, []byte("# Other\n"), 0o644))
	code, _, errOut = runCLI(t, "", "bench", "--markdown", "--from", files[0], "--update", noMarkers)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "no summary markers")
	unchanged, err := os.ReadFile(noMarkers)
	require.NoError(t, err)
	assert.Equal(t, "# Other\n", string(unchanged), "a file without markers is left as it was")

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte("not json"), 0o644))
	code, _, errOut = runCLI(t, "", "bench", "--markdown", "--from", bad)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "not the output of disputes bench --json")
}

// TestBenchCPUProfile: --cpuprofile leaves a pprof CPU profile of the run
// (gzip-compressed protobuf, its sample type cpu/nanoseconds); a profile
// that cannot be created fails the run before anything is measured.
func TestBenchCPUProfile(t *testing.T) {
	t.Parallel()
	cache := t.TempDir()
	path := filepath.Join(t.TempDir(), "bench.pprof")
	code, out, errOut := runCLI(t, "", "bench", "--only", "load_ticket_30", "--events", "600", "--turn", "10ms", "--cache", cache, "--cpuprofile", path, "--json")
	require.Equal(t, 0, code, errOut)
	require.NotEmpty(t, out)
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err, "a pprof profile is gzip-compressed")
	raw, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Contains(t, string(raw), "nanoseconds", "the profile's sample unit")

	code, out, errOut = runCLI(t, "", "bench", "--only", "load_ticket_30", "--events", "600", "--turn", "10ms", "--cache", cache, "--cpuprofile", filepath.Join(cache, "no", "such", "dir", "p"), "--json")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "cpu profile")
	assert.Empty(t, out, "nothing is measured without the profile asked for")
}
