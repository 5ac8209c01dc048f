package domain

import (
	"slices"

	"github.com/disputes-ledger/disputes/events"
)

// CommandSpec registers one command: its payload type (a zero value, whose
// CommandName is its wire name), the roles that may issue it and the line
// that describes it to API clients. Registry holds one per command.
type CommandSpec struct {
	// Zero is the command's zero value: the type the API decodes its data
	// into, and through CommandName its stable wire name.
	Zero Command
	// Roles may issue the command (Authorize refuses every other role with
	// ErrRoleNotAllowed). A command open only to events.RoleSystem is not
	// offered by the HTTP API.
	Roles []events.Role
	// Summary is one English sentence for the OpenAPI document and the CLI.
	Summary string
}

// Name returns the command's wire name, its type's CommandName.
func (s CommandSpec) Name() string { return s.Zero.CommandName() }

// Registry returns every command once, in lifecycle order. It is the one
// place a command is registered: Commands, Permissions, the command API's
// decoder, its routes and its OpenAPI summaries are read from it. A new
// command adds its type (with CommandName) in commands.go, an entry here
// and its case in Decide.
func Registry() []CommandSpec {
	b, m := events.RoleBuyer, events.RoleMerchant
	return []CommandSpec{
		{OpenTicket{}, []events.Role{b}, "Buyer opens a ticket (refund only, return and refund, or exchange)."},
		{ReviseRequest{}, []events.Role{b}, "Buyer revises the request after a rejection."},
		{Withdraw{}, []events.Role{b}, "Buyer withdraws the ticket before a ruling."},
		{Agree{}, []events.Role{m}, "Merchant agrees to the request."},
		{Reject{}, []events.Role{m}, "Merchant rejects the request with a reason."},
		{MakeOffer{}, []events.Role{m}, "Merchant offers a partial refund or a replacement without return."},
		{AcceptOffer{}, []events.Role{b}, "Buyer accepts the merchant's offer."},
		{DeclineOffer{}, []events.Role{b}, "Buyer declines the merchant's offer."},
		{ShipReturn{}, []events.Role{b}, "Buyer ships the goods back."},
		{ConfirmReceipt{}, []events.Role{m}, "Merchant confirms the returned parcel, optionally reporting a problem."},
		{IssueRefund{}, []events.Role{m}, "Merchant issues the refund."},
		{ShipReplacement{}, []events.Role{m}, "Merchant ships the replacement."},
		{ConfirmReplacement{}, []events.Role{b}, "Buyer confirms the replacement arrived."},
		{RequestIntervention{}, []events.Role{b, m}, "Buyer or merchant asks the platform to intervene (介入)."},
		{RequestEvidence{}, []events.Role{events.RoleAgent}, "Agent opens the evidence window early."},
		{SubmitEvidence{}, []events.Role{b, m}, "Buyer or merchant submits evidence items."},
		{MarkResolved{}, []events.Role{b}, "Buyer marks the dispute resolved during negotiation."},
		{Rule{}, []events.Role{events.RoleArbitrator}, "Arbitrator rules on a ticket under review."},
		{FileAppeal{}, []events.Role{b, m}, "Buyer or merchant appeals the ruling."},
		{DecideAppeal{}, []events.Role{events.RoleSeniorArbitrator}, "Senior arbitrator upholds or overturns the ruling."},
		{PostMessage{}, []events.Role{b, m, events.RoleAgent, events.RoleArbitrator, events.RoleSeniorArbitrator}, "Any party posts a message."},
		{ExpireDeadline{}, []events.Role{events.RoleSystem}, "The scheduler fires a due deadline."},
	}
}

// LookupCommand returns the registration of the command named name, and
// whether there is one. Its Roles are the caller's own copy.
func LookupCommand(name string) (CommandSpec, bool) {
	s, ok := registryByName[name]
	if !ok {
		return CommandSpec{}, false
	}
	s.Roles = slices.Clone(s.Roles)
	return s, true
}

// registryByName is Registry by wire name, built once for LookupCommand:
// the API and the console look up every command they decode, and building
// the registry anew each time cost two dozen allocations. Only read.
var registryByName = func() map[string]CommandSpec {
	specs := Registry()
	out := make(map[string]CommandSpec, len(specs))
	for _, s := range specs {
		out[s.Name()] = s
	}
	return out
}()
