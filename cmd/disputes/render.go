package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// timeLayout is for tables whose header names the zone; zonedLayout stands alone.
const (
	timeLayout  = "2006-01-02 15:04"
	zonedLayout = "2006-01-02 15:04 -07:00"
)

// printTimeline writes one row per event: when it took effect, who, what,
// and the state after. An expiry fired late, and what it caused, are placed
// at the deadline's due time, with the time they were recorded beside it.
func printTimeline(w io.Writer, steps []domain.Step, loc *time.Location) {
	tw := newTable(w, false)
	zone := ""
	if len(steps) > 0 {
		zone = " (" + steps[0].Event.OccurredAt.In(loc).Format("-07:00") + ")"
	}
	fmt.Fprintf(tw, "REV\tWHEN%s\tWHO\tWHAT\tSTATE AFTER\n", zone)
	for _, s := range steps {
		ev := s.Event
		when := s.EffectiveAt.In(loc).Format(timeLayout)
		if !s.EffectiveAt.Equal(ev.OccurredAt) {
			when += " (recorded " + ev.OccurredAt.In(loc).Format(timeLayout) + ")"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", ev.Revision, when, ev.Actor, events.Summary(ev), stateLine(s.State, s.EffectiveAt, loc))
	}
	tw.Flush()
}

// stateLine sums up a ticket's state at the moment at. A deadline already
// past due then is shown as overdue, never as next.
func stateLine(t domain.Ticket, at time.Time, loc *time.Location) string {
	parts := []string{string(t.Status)}
	if t.Resolution != "" {
		parts[0] += " (" + string(t.Resolution) + ")"
	}
	if t.Locked {
		parts = append(parts, "locked")
	}
	for _, d := range t.Overdue(at) {
		parts = append(parts, fmt.Sprintf("overdue: %s since %s", d.Kind, d.DueAt.In(loc).Format("01-02 15:04")))
	}
	if d, ok := t.UpcomingDeadline(at); ok {
		parts = append(parts, fmt.Sprintf("next: %s by %s", d.Kind, d.DueAt.In(loc).Format("01-02 15:04")))
	}
	return strings.Join(parts, ", ")
}

// printState writes a ticket's state at the moment now: deadlines already
// past due then are marked overdue (missed, not yet fired).
func printState(w io.Writer, t domain.Ticket, now time.Time, loc *time.Location) {
	tw := newTable(w, false)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("Ticket", fmt.Sprintf("%s (order %s, %s, reason %s)", t.ID, t.OrderID, t.Kind, t.Reason))
	row("Parties", fmt.Sprintf("buyer %s, merchant %s", t.BuyerID, t.MerchantID))
	status := string(t.Status)
	if t.Resolution != "" {
		status += " — " + string(t.Resolution)
	}
	if t.Locked {
		status += " (locked: platform intervening)"
	}
	row("Status", status)
	row("Money", fmt.Sprintf("paid %s, requested %s, refunded %s, compensation %s",
		events.Money(t.AmountPaid, t.Currency), events.Money(t.Requested, t.Currency),
		events.Money(t.Refunded, t.Currency), events.Money(t.Compensation, t.Currency)))
	if t.Liability != "" {
		row("Liability", string(t.Liability))
	}
	if t.Ruling != nil {
		r := t.Ruling
		line := fmt.Sprintf("%s by %s on %s, liability %s", r.Terms.Outcome, r.ArbitratorID, r.RecordedAt.In(loc).Format(zonedLayout), r.Terms.Liability)
		if r.Appeal != nil {
			line += fmt.Sprintf("; appealed by %s", r.Appeal.Party)
			if r.Appeal.Decision != "" {
				line += fmt.Sprintf(", %s by %s", r.Appeal.Decision, r.Appeal.DecidedBy)
			}
		}
		row("Ruling", line)
	}
	if len(t.EvidenceOrder) > 0 {
		row("Evidence", strings.Join(t.EvidenceOrder, ", "))
	}
	deadlines := t.OpenDeadlines()
	if len(deadlines) == 0 {
		row("Deadlines", "none open")
	}
	for i, d := range deadlines {
		label := ""
		if i == 0 {
			label = "Deadlines"
		}
		line := fmt.Sprintf("%s due %s", d.Kind, d.DueAt.In(loc).Format(zonedLayout))
		if !d.DueAt.After(now) {
			line += " — overdue, not yet fired (takes effect at its due time)"
		}
		row(label, line)
	}
	row("Revision", fmt.Sprintf("%d (%s, last hash %s…)", t.Revision, plural(t.Events, "event"), short(t.LastHash)))
	tw.Flush()
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
