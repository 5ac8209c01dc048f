package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/projections/views"
)

// showCmd is `disputes show`.
type showCmd struct {
	storeFlags
	JSON   bool   `help:"print JSON"`
	Ticket string `arg:"" optional:"" help:"the ticket's id"`
}

func (c *showCmd) Run(ctx context.Context, e env) error {
	sf := c.storeFlags
	if c.Ticket == "" {
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
	ticket, _, err := commands.LoadWholeTicket(ctx, store, c.Ticket)
	if err != nil {
		return err
	}
	if !ticket.Exists() {
		return fmt.Errorf("ticket %s not found", c.Ticket)
	}
	now := time.Now()
	if c.JSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(views.TicketAt(ticket, now))
	}
	printState(e.stdout, ticket, now, pol.BusinessCalendar().Location())
	return nil
}
