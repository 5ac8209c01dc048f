package httpapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/projections"
)

// Reads are scoped as commands are: a buyer or a merchant reads only its
// own tickets (and a merchant only its own score); the platform's roles
// and auditors read everything.

// readsAll reports whether the principal may read every ticket.
func readsAll(p auth.Principal) bool {
	switch p.Role {
	case events.RoleAgent, events.RoleArbitrator, events.RoleSeniorArbitrator, events.RoleAuditor:
		return true
	}
	return false
}

// owners are the two parties of a ticket.
type owners struct{ buyer, merchant string }

// mayRead reports whether p may read a ticket with these owners.
func mayRead(p auth.Principal, o owners) bool {
	switch p.Role {
	case events.RoleBuyer:
		return p.ID == o.buyer
	case events.RoleMerchant:
		return p.ID == o.merchant
	}
	return readsAll(p)
}

// errNotYours is the refusal of a read on another party's ticket: exactly
// the answer for a ticket that does not exist, so that a party with a
// valid token learns nothing about tickets it is not a party to — not
// even that they exist (OWASP API1:2023). The principal goes to the
// access log through the request's info, never into the body.
func errNotYours(ticketID string) error { return ticketNotFound(ticketID) }

// ticketOwners reads a ticket's parties from its opening event, without
// folding the stream. ok is false for a ticket that does not exist.
func ticketOwners(ctx context.Context, store eventstore.Store, ticketID string) (o owners, ok bool, err error) {
	recs, err := store.ReadStream(ctx, events.StreamFor(ticketID), 0, 1)
	if errors.Is(err, eventstore.ErrStreamNotFound) || (err == nil && len(recs) == 0) {
		return owners{}, false, nil
	}
	if err != nil {
		return owners{}, false, fmt.Errorf("read ticket %s: %w", ticketID, err)
	}
	env, err := events.Decode(recs[0].Data)
	if err != nil {
		return owners{}, false, fmt.Errorf("read ticket %s: %w", ticketID, err)
	}
	opened, isOpening := env.Payload.(events.RefundRequested)
	if !isOpening {
		return owners{}, false, fmt.Errorf("ticket %s begins with %s, not %s", ticketID, env.Type, events.TypeRefundRequested)
	}
	return owners{buyer: opened.BuyerID, merchant: opened.MerchantID}, true, nil
}

// MayRead reports whether p may read a ticket of these parties: the API's
// read scoping, which the browser console shares so that the two answer a
// non-party alike (as if the ticket did not exist).
func MayRead(p auth.Principal, buyerID, merchantID string) bool {
	return mayRead(p, owners{buyer: buyerID, merchant: merchantID})
}

// ReadsAll reports whether p may read every ticket (the platform's roles
// and auditors).
func ReadsAll(p auth.Principal) bool { return readsAll(p) }

// ScopeTicketFilter narrows f to the tickets p may list: a buyer's own, a
// merchant's own. It reports true when f asked for another party's tickets
// only: the answer is then the empty list a filter on an id with no
// tickets gets, so that the two cannot be told apart.
func ScopeTicketFilter(p auth.Principal, f *projections.TicketFilter) (othersOnly bool) {
	switch p.Role {
	case events.RoleBuyer:
		othersOnly = f.BuyerID != "" && f.BuyerID != p.ID
		f.BuyerID = p.ID
	case events.RoleMerchant:
		othersOnly = f.MerchantID != "" && f.MerchantID != p.ID
		f.MerchantID = p.ID
	}
	return othersOnly
}
