package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// loadTicket30: load a 30-event ticket the way every command does — read the
// stream, decode and hash-check each event, check the chain links, fold the
// state (commands.LoadTicket); the floor is the stream read alone
// (ReadStream).
func loadTicket30(ctx context.Context, r *runner) ([]Result, error) {
	const ticket, size = "T-1", 30
	path, err := r.scratchFile("ticket30.db")
	if err != nil {
		return nil, err
	}
	store, err := sqlite.Open(ctx, path, sqlite.Config{})
	if err != nil {
		return nil, err
	}
	defer store.Close()
	now := time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)
	h := commands.NewHandler(store, commands.WithClock(func() time.Time { return now }))
	delivered := now.Add(-48 * time.Hour)
	open := domain.OpenTicket{TicketID: ticket, OrderID: "O-1", MerchantID: "m-1", Kind: events.KindReturnRefund,
		Reason: events.ReasonQuality, Currency: "CNY", AmountPaid: 19900, Requested: 19900, Description: "cracked",
		OrderShipped: true, DeliveredAt: &delivered}
	if _, err := h.Handle(ctx, commands.Request{CommandID: "open", TicketID: ticket, Actor: benchBuyer, Command: open.CommandName()}, open); err != nil {
		return nil, err
	}
	for i := 1; i < size; i++ {
		msg := domain.PostMessage{Text: fmt.Sprintf("物流显示已签收，但我没有收到包裹，请核实 %d", i)}
		req := commands.Request{CommandID: fmt.Sprintf("m%d", i), TicketID: ticket, Actor: benchBuyer, Command: msg.CommandName()}
		if _, err := h.Handle(ctx, req, msg); err != nil {
			return nil, err
		}
	}
	stream := events.StreamFor(ticket)
	floor := func(ctx context.Context) (float64, time.Duration, error) {
		return timed(ctx, r.opts.turn(), func() error {
			recs, err := store.ReadStream(ctx, stream, 0, 0)
			if err == nil && len(recs) != size {
				err = fmt.Errorf("read %d events of %s, want %d", len(recs), stream, size)
			}
			return err
		})
	}
	fig := func(ctx context.Context) (float64, time.Duration, error) {
		return timed(ctx, r.opts.turn(), func() error {
			_, envs, err := commands.LoadTicket(ctx, store, ticket)
			if err == nil && len(envs) != size {
				err = fmt.Errorf("loaded %d events of %s, want %d", len(envs), ticket, size)
			}
			return err
		})
	}
	m, err := r.alternate(ctx, r.opts.rounds(), floor, fig)
	if err != nil {
		return nil, err
	}
	return []Result{timeResult("load_ticket_30", "the stream's read alone (ReadStream)", m)}, nil
}
