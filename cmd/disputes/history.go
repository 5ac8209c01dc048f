package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/projections/views"
)

// historyCmd is `disputes history`.
type historyCmd struct {
	storeFlags
	AsOf   string `name:"as-of" placeholder:"TIME" help:"show the ticket as it stood at this time (RFC 3339, or 2006-01-02 15:04 in the policy's zone)"`
	JSON   bool   `help:"print JSON instead of a table"`
	Ticket string `arg:"" optional:"" help:"the ticket's id"`
}

func (c *historyCmd) Run(ctx context.Context, e env) error {
	sf := c.storeFlags
	if c.Ticket == "" {
		return fmt.Errorf("%w: want exactly one TICKET", errUsage)
	}
	pol, err := sf.loadPolicy()
	if err != nil {
		return err
	}
	loc := pol.BusinessCalendar().Location()
	var asOf *time.Time
	if c.AsOf != "" {
		t, err := parseTime(c.AsOf, loc)
		if err != nil {
			return fmt.Errorf("%w: --as-of: %v", errUsage, err)
		}
		asOf = &t
	}
	store, err := sf.openReadOnly(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	_, envs, err := commands.LoadWholeTicket(ctx, store, c.Ticket)
	if err != nil {
		return err
	}
	if len(envs) == 0 {
		return fmt.Errorf("ticket %s not found", c.Ticket)
	}
	steps := domain.Timeline(envs, asOf)
	if c.JSON {
		return writeHistoryJSON(e, steps)
	}
	if asOf != nil {
		fmt.Fprintf(e.stdout, "Ticket %s as of %s (%d of %d events)\n\n", c.Ticket, asOf.In(loc).Format(zonedLayout), len(steps), len(envs))
	}
	printTimeline(e.stdout, steps, loc)
	if len(steps) > 0 {
		at := time.Now()
		if asOf != nil {
			at = *asOf
		}
		fmt.Fprintln(e.stdout)
		printState(e.stdout, steps[len(steps)-1].State, at, loc)
	}
	return nil
}

// writeHistoryJSON prints the history in the shape the HTTP API answers with.
func writeHistoryJSON(e env, steps []domain.Step) error {
	out, err := views.History(steps)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func parseTime(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time (try 2026-11-02T10:00:00+08:00)", s)
}
