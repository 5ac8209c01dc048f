package sim

import (
	"fmt"
	"slices"
	"strings"
)

// TraceLine is one line of a run's trace: an operation and its outcome, a
// part's step, or a fault.
type TraceLine struct {
	// Op is the operation in progress (-1 outside the operations).
	Op int
	// Tickets are the tickets the line is about; none for a fault that
	// touches everything (a crash, a clock jump).
	Tickets []string
	Text    string
}

func (l TraceLine) String() string { return l.Text }

// Violation is an invariant found broken.
type Violation struct {
	Check   Check
	Tickets []string
	Detail  string
	// Op is the operation in progress when it was found (-1 at the end).
	Op int
	// Streams are the involved tickets' events as stored when it was found.
	Streams map[string][]string
}

func (v Violation) String() string {
	return fmt.Sprintf("[%s] %s", v.Check, v.Detail)
}

// trace adds a line about tickets.
func (r *run) trace(tickets []string, format string, args ...any) {
	text := r.clk.Now().UTC().Format("01-02T15:04:05.000") + " " + fmt.Sprintf(format, args...)
	r.res.Trace = append(r.res.Trace, TraceLine{Op: r.cur, Tickets: tickets, Text: text})
}

// Involved returns the tickets the violations name.
func (r Result) Involved() []string {
	var out []string
	for _, v := range r.Violations {
		for _, t := range v.Tickets {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Trimmed returns the trace of the run up to its failure, cut to the lines
// about the tickets the violations name and the faults that touch every
// ticket: the shortest account of how the failure came about.
func (r Result) Trimmed() []TraceLine {
	involved := r.Involved()
	var out []TraceLine
	for _, l := range r.Trace {
		if len(l.Tickets) == 0 || len(involved) == 0 || slices.ContainsFunc(l.Tickets, func(t string) bool { return slices.Contains(involved, t) }) {
			out = append(out, l)
		}
	}
	return out
}

// Report is a failed run's account for a person: the seed, the
// violations, the trimmed trace, the involved tickets' stored events, and
// the command that replays the run.
func (r Result) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "simulation seed %d broke %d invariant(s):\n", r.Seed, len(r.Violations))
	for _, v := range r.Violations {
		fmt.Fprintf(&b, "  %s\n", v)
	}
	trimmed := r.Trimmed()
	fmt.Fprintf(&b, "trace (%d of %d lines: the tickets involved, %s, and the faults that touch every ticket):\n", len(trimmed), len(r.Trace), strings.Join(r.Involved(), ", "))
	for _, l := range trimmed {
		op := "      "
		if l.Op >= 0 {
			op = fmt.Sprintf("%5d ", l.Op)
		}
		fmt.Fprintf(&b, "  %s%s\n", op, l.Text)
	}
	for _, v := range r.Violations {
		for _, t := range v.Tickets {
			if lines, ok := v.Streams[t]; ok {
				fmt.Fprintf(&b, "stored events of %s when [%s] was found:\n", t, v.Check)
				for _, l := range lines {
					fmt.Fprintf(&b, "  %s\n", l)
				}
			}
		}
	}
	fmt.Fprintf(&b, "replay: go test ./sim -run 'TestSimulation$' -seed=%d -v\n", r.Seed)
	return b.String()
}
