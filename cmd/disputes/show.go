package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/projections/views"
)

func runShow(ctx context.Context, e env) error {
	fs := newFlags(e, "show", "show [--db PATH] [--json] TICKET")
	var sf storeFlags
	sf.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: want exactly one TICKET", errUsage)
	}
	pol, err := sf.loadPolicy()
	if err != nil {
		return err
	}
	store, err := sf.openReadOnly(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	ticket, _, err := commands.LoadWholeTicket(ctx, store, fs.Arg(0))
	if err != nil {
		return err
	}
	if !ticket.Exists() {
		return fmt.Errorf("ticket %s not found", fs.Arg(0))
	}
	now := time.Now()
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(views.TicketAt(ticket, now))
	}
	printState(e.stdout, ticket, now, pol.BusinessCalendar().Location())
	return nil
}
