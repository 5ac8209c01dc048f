package domain

import (
	"time"

	"github.com/disputes-ledger/disputes/events"
)

// Command is a request to change a ticket. Names are stable: they appear in
// the command API and in command logs.
type Command interface {
	CommandName() string
}

// OpenTicket is the buyer applying for after-sales service.
type OpenTicket struct {
	TicketID     string            `json:"ticket_id"`
	OrderID      string            `json:"order_id"`
	MerchantID   string            `json:"merchant_id"`
	Kind         events.TicketKind `json:"kind"`
	Reason       events.Reason     `json:"reason"`
	Currency     string            `json:"currency"`
	AmountPaid   int64             `json:"amount_paid"`
	Requested    int64             `json:"requested"`
	Description  string            `json:"description"`
	OrderShipped bool              `json:"order_shipped"`
	DeliveredAt  *time.Time        `json:"delivered_at,omitempty"`
}

// ReviseRequest is the buyer changing the request after a rejection.
type ReviseRequest struct {
	Requested   int64  `json:"requested"`
	Description string `json:"description"`
}

// Withdraw is the buyer withdrawing the ticket before a ruling.
type Withdraw struct {
	Note string `json:"note"`
}

// Agree is the merchant accepting the request.
type Agree struct {
	ReturnAddress string `json:"return_address,omitempty"`
}

// Reject is the merchant refusing the request.
type Reject struct {
	Reason string `json:"reason"`
}

// MakeOffer is the merchant proposing a partial refund or a replacement without return.
type MakeOffer struct {
	Kind   events.OfferKind `json:"kind"`
	Amount int64            `json:"amount"`
	Note   string           `json:"note"`
}

// AcceptOffer is the buyer accepting the merchant's offer.
type AcceptOffer struct{}

// DeclineOffer is the buyer declining the merchant's offer.
type DeclineOffer struct {
	Reason string `json:"reason"`
}

// ShipReturn is the buyer shipping the goods back.
type ShipReturn struct {
	events.Shipment
}

// ConfirmReceipt is the merchant confirming the returned parcel, optionally with a problem.
type ConfirmReceipt struct {
	Problem events.ReturnProblem `json:"problem,omitempty"`
	Note    string               `json:"note,omitempty"`
}

// IssueRefund is the merchant issuing the refund.
type IssueRefund struct {
	Amount int64 `json:"amount"`
}

// ShipReplacement is the merchant shipping a replacement.
type ShipReplacement struct {
	events.Shipment
}

// ConfirmReplacement is the buyer confirming the replacement arrived.
type ConfirmReplacement struct{}

// RequestIntervention is a party asking the platform to step in (介入).
type RequestIntervention struct {
	Reason string `json:"reason"`
}

// RequestEvidence is platform customer service opening the evidence window early.
type RequestEvidence struct {
	Note string `json:"note"`
}

// SubmitEvidence is a party submitting evidence items.
type SubmitEvidence struct {
	Items []events.EvidenceItem `json:"items"`
}

// MarkResolved is the buyer declaring the dispute settled during negotiation.
type MarkResolved struct {
	Note string `json:"note"`
}

// Rule is an arbitrator's ruling.
type Rule struct {
	events.Terms
	Rationale string   `json:"rationale"`
	Evidence  []string `json:"evidence"`
}

// FileAppeal is a party appealing the ruling.
type FileAppeal struct {
	Grounds string `json:"grounds"`
}

// DecideAppeal is a senior arbitrator upholding or overturning the ruling.
type DecideAppeal struct {
	Decision  events.AppealDecision `json:"decision"`
	Rationale string                `json:"rationale"`
	// Terms replace the ruling's when the decision is overturned.
	Terms *events.Terms `json:"terms,omitempty"`
}

// PostMessage is any party posting a message on the ticket.
type PostMessage struct {
	Text string `json:"text"`
}

// ExpireDeadline is the scheduler firing a due deadline.
type ExpireDeadline struct {
	Deadline events.DeadlineKind `json:"deadline"`
}

// Command names.
func (OpenTicket) CommandName() string          { return "open_ticket" }
func (ReviseRequest) CommandName() string       { return "revise_request" }
func (Withdraw) CommandName() string            { return "withdraw" }
func (Agree) CommandName() string               { return "agree" }
func (Reject) CommandName() string              { return "reject" }
func (MakeOffer) CommandName() string           { return "make_offer" }
func (AcceptOffer) CommandName() string         { return "accept_offer" }
func (DeclineOffer) CommandName() string        { return "decline_offer" }
func (ShipReturn) CommandName() string          { return "ship_return" }
func (ConfirmReceipt) CommandName() string      { return "confirm_receipt" }
func (IssueRefund) CommandName() string         { return "issue_refund" }
func (ShipReplacement) CommandName() string     { return "ship_replacement" }
func (ConfirmReplacement) CommandName() string  { return "confirm_replacement" }
func (RequestIntervention) CommandName() string { return "request_intervention" }
func (RequestEvidence) CommandName() string     { return "request_evidence" }
func (SubmitEvidence) CommandName() string      { return "submit_evidence" }
func (MarkResolved) CommandName() string        { return "mark_resolved" }
func (Rule) CommandName() string                { return "rule" }
func (FileAppeal) CommandName() string          { return "file_appeal" }
func (DecideAppeal) CommandName() string        { return "decide_appeal" }
func (PostMessage) CommandName() string         { return "post_message" }
func (ExpireDeadline) CommandName() string      { return "expire_deadline" }

// Commands returns one zero value of every command, in lifecycle order: the
// catalogue the command API decodes into and the tests walk. It is read from
// Registry.
func Commands() []Command {
	specs := Registry()
	out := make([]Command, len(specs))
	for i, s := range specs {
		out[i] = s.Zero
	}
	return out
}

// Permissions returns the roles that may issue each command, by command
// name. It is read from Registry: the one table the HTTP layer, Authorize
// and the tests read.
func Permissions() map[string][]events.Role {
	specs := Registry()
	out := make(map[string][]events.Role, len(specs))
	for _, s := range specs {
		out[s.Name()] = s.Roles
	}
	return out
}
