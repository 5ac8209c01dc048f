package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// Machine describes where a run was measured.
type Machine struct {
	CPUs      int
	CPUModel  string
	OS, Arch  string
	GoVersion string
}

// ThisMachine describes the machine this process runs on.
func ThisMachine() Machine {
	return Machine{CPUs: runtime.NumCPU(), CPUModel: cpuModel(), OS: runtime.GOOS, Arch: runtime.GOARCH, GoVersion: runtime.Version()}
}

// cpuModel is the first "model name" of /proc/cpuinfo, "unknown CPU"
// elsewhere.
func cpuModel() string {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func (m Machine) String() string {
	return fmt.Sprintf("%d CPUs (`nproc`), %s, %s/%s, %s", m.CPUs, m.CPUModel, m.OS, m.Arch, m.GoVersion)
}

// Section is one run's results, as WriteMarkdown renders them.
type Section struct {
	// Title heads the run's table, e.g. "Quick run".
	Title   string
	Command string
	Results []Result
}

// WriteMarkdown writes the runs as tables (figure, value, floor, ratio,
// peak memory, the load average when it ended, what the floor is), each
// under its title and the command that reproduces it, after a line
// describing the machine.
func WriteMarkdown(w io.Writer, m Machine, runs []Section) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Machine: %s.\n", m)
	for _, run := range runs {
		events := 0
		if len(run.Results) > 0 {
			events = run.Results[0].Events
		}
		fmt.Fprintf(&b, "\n**%s** (generated ledger of %s events):\n\n    %s\n\n", run.Title, thousands(float64(events)), run.Command)
		b.WriteString("| figure | value | floor (same run) | ratio | peak memory | load | the floor |\n|---|---|---|---|---|---|---|\n")
		for _, r := range run.Results {
			fmt.Fprintf(&b, "| `%s` | %s %s | %s | %.2f | %s | %.1f | %s |\n", r.Name, figureValue(r.Value), r.Unit, figureValue(r.Floor), r.Ratio, megabytes(r.PeakMemBytes), r.LoadAvg, r.FloorIs)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// figureValue rounds a figure for people: three significant digits below
// 1,000, whole numbers with thousands separators above.
func figureValue(v float64) string {
	switch {
	case v >= 999.5: // rounds to 1,000 or more
		return thousands(v)
	case v >= 99.95:
		return fmt.Sprintf("%.0f", v)
	case v >= 9.995:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// thousands writes v rounded to a whole number with comma separators.
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var out []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, c)
	}
	return string(out)
}

func megabytes(b uint64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f MB", float64(b)/(1<<20))
}

// The markers around the generated summary in BENCHMARKS.md.
const (
	SummaryBegin = "<!-- disputes bench --markdown: begin (generated; do not edit by hand) -->"
	SummaryEnd   = "<!-- disputes bench --markdown: end -->"
)

// ErrNoMarkers is returned by ReplaceSummary for a document without both
// markers, in order.
var ErrNoMarkers = errors.New("no summary markers")

// ReplaceSummary returns doc with the text between SummaryBegin and
// SummaryEnd replaced by summary.
func ReplaceSummary(doc []byte, summary string) ([]byte, error) {
	s := string(doc)
	i := strings.Index(s, SummaryBegin)
	j := strings.Index(s, SummaryEnd)
	if i < 0 || j < i {
		return nil, fmt.Errorf("%w: want a line %q and, after it, a line %q", ErrNoMarkers, SummaryBegin, SummaryEnd)
	}
	head := s[:i+len(SummaryBegin)]
	return []byte(head + "\n" + strings.TrimSuffix(summary, "\n") + "\n" + s[j:]), nil
}
