package domain

import (
	"fmt"
	"slices"

	"github.com/disputes-ledger/disputes/events"
)

// Authorize decides whether actor may issue cmd on t at all. It is the one
// authorization rule: Decide calls it first, and the write path calls it on
// the stored state before it fires an overdue deadline, checks an expected
// revision, looks up an idempotency key or writes anything.
//
// It reads only what never changes over a ticket's life — the actor's role
// (Permissions), whether the ticket exists, and who its buyer and merchant
// are — so its answer for a given actor and ticket is the same before and
// after any deadline fires. In order it refuses:
//   - an actor that is not a known role with an id (ErrInvalidCommand);
//   - a role the command is not open to (ErrRoleNotAllowed), whatever the ticket;
//   - opening a ticket id another buyer holds (ErrTicketExists, as its own
//     buyer gets from Decide for a second open: the answers are alike);
//   - any other command on a ticket that was never opened (ErrTicketNotFound);
//   - a buyer or merchant who is not that party of the ticket (ErrNotYourTicket).
//
// ErrNotYourTicket and ErrTicketNotFound are answered alike outside the
// write path (commands.Classify): a non-party learns nothing of a ticket,
// not even that it exists.
func Authorize(t Ticket, actor events.Actor, cmd Command) error { return authorize(&t, actor, cmd) }

// authorize is Authorize for Decide, which holds the ticket already: it
// reads t and copies none of it (some 550 bytes, once for every decision
// an auditor checks).
func authorize(t *Ticket, actor events.Actor, cmd Command) error {
	if cmd == nil {
		return invalid("command", "is missing")
	}
	if !actor.Role.Valid() || actor.ID == "" {
		return invalid("actor", fmt.Sprintf("%q is not a valid actor", actor.String()))
	}
	if !slices.Contains(permissions[cmd.CommandName()], actor.Role) {
		return refuse(ErrRoleNotAllowed, "%s may not %s", actor.Role, cmd.CommandName())
	}
	if _, open := cmd.(OpenTicket); open {
		if t.Exists() && !isParty(t, actor) {
			return taken(t) // the one thing a stranger learns: the id is not free
		}
		return nil // its own buyer may replay its open; Decide refuses a second one
	}
	if !t.Exists() {
		return refuse(ErrTicketNotFound, "%s needs an open ticket", cmd.CommandName())
	}
	if !isParty(t, actor) {
		return refuse(ErrNotYourTicket, "%s is not a party of ticket %s", actor, t.ID)
	}
	return nil
}

// IsParty reports whether actor may see and act on the existing ticket t as
// far as ownership goes: its buyer, its merchant, and the platform's roles
// (agents, arbitrators, auditors and the scheduler act on every ticket).
func IsParty(t Ticket, actor events.Actor) bool { return isParty(&t, actor) }

func isParty(t *Ticket, actor events.Actor) bool {
	switch actor.Role {
	case events.RoleBuyer:
		return actor.ID == t.BuyerID
	case events.RoleMerchant:
		return actor.ID == t.MerchantID
	}
	return actor.Role.Valid()
}

// taken is the refusal of opening a ticket id that is already in use.
func taken(t *Ticket) error { return refuse(ErrTicketExists, "ticket %s", t.ID) }

// permissions is Permissions() built once, for Authorize: Decide (and so
// every legality check of an audit) asks it for every command. Only read.
var permissions = Permissions()
