package audit

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

// WriteText writes the report for a person: a verdict, what was covered,
// then every finding with its location, and the warnings.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	verdict := "PASS"
	if !r.OK() {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "%s  %s (scope %s, %s)\n", verdict, r.Source, r.Scope, map[bool]string{true: "whole log: seal roots recomputed", false: "partial: events proven by inclusion proofs"}[r.Complete])
	pin := "pinned by the auditor"
	if !r.KeyPinned {
		pin = "NOT pinned: taken from the source"
	}
	keyID := r.KeyID
	if keyID == "" {
		keyID = "none"
	}
	fmt.Fprintf(&b, "  seal key   %s (%s)\n", keyID, pin)
	fmt.Fprintf(&b, "  events     %d, positions up to %d, %d ticket(s), %d ruling(s), %d appeal(s)\n", r.Events, r.LastPosition, r.Tickets, r.Rulings, r.Appeals)
	fmt.Fprintf(&b, "  seals      %d, largest verified covers positions 1..%d\n", r.Seals, r.SealedSize)
	if t := r.Trusted; t != nil {
		state := "consistent"
		switch {
		case !t.Verified:
			state = "NOT verified"
		case !r.OK():
			state = "see findings"
		}
		fmt.Fprintf(&b, "  trusted    checkpoint %s size %d root %s (%s)\n", t.Origin, t.Size, t.Root, state)
	}
	fmt.Fprintf(&b, "  policies   %s\n", strings.Join(r.Policies, ", "))
	if n := len(r.Findings) + r.Omitted; n > 0 {
		checks := make([]string, 0, len(r.Counts))
		for _, c := range slices.Sorted(maps.Keys(r.Counts)) {
			checks = append(checks, fmt.Sprintf("%s %d", c, r.Counts[c]))
		}
		fmt.Fprintf(&b, "\n%d finding(s): %s\n", n, strings.Join(checks, ", "))
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  CHECK\tPOSITION\tTICKET\tREV\tSEAL\tMESSAGE")
		for _, f := range r.Findings {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", f.Check, orDash(f.Position), dashIfEmpty(f.Ticket), revText(f.Revision), orDash(f.Seal), f.Message)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if r.Omitted > 0 {
			fmt.Fprintf(&b, "  … and %d more finding(s) not listed\n", r.Omitted)
		}
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintf(&b, "\n%d warning(s):\n", len(r.Warnings))
		for _, wn := range r.Warnings {
			fmt.Fprintf(&b, "  - %s\n", wn)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(n uint64) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func revText(r *uint64) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprint(*r)
}
