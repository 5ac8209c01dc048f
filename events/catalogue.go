package events

import "time"

// Payload is the body of one event: a past-tense fact.
type Payload interface {
	// EventType returns the event's stable wire name.
	EventType() string
}

// Wire names. They are stored forever: never rename one.
const (
	TypeRefundRequested       = "refund.requested"
	TypeRequestRevised        = "refund.revised"
	TypeMerchantAgreed        = "merchant.agreed"
	TypeMerchantRejected      = "merchant.rejected"
	TypeOfferMade             = "offer.made"
	TypeOfferAccepted         = "offer.accepted"
	TypeOfferDeclined         = "offer.declined"
	TypeReturnShipped         = "return.shipped"
	TypeReturnReceived        = "return.received"
	TypeReturnProblemReported = "return.problem_reported"
	TypeReplacementShipped    = "replacement.shipped"
	TypeReplacementConfirmed  = "replacement.confirmed"
	TypeRefundIssued          = "refund.issued"
	TypeInterventionRequested = "intervention.requested"
	TypeEvidenceRequested     = "evidence.requested"
	TypeEvidenceSubmitted     = "evidence.submitted"
	TypeMarkedResolved        = "ticket.resolved"
	TypeRulingRecorded        = "ruling.recorded"
	TypeAppealFiled           = "appeal.filed"
	TypeAppealDecided         = "appeal.decided"
	TypeRulingFinalized       = "ruling.finalized"
	TypeTicketWithdrawn       = "ticket.withdrawn"
	TypeTicketAbandoned       = "ticket.abandoned"
	TypeTicketExpired         = "ticket.expired"
	TypeMessagePosted         = "message.posted"
	TypeDeadlineExpired       = "deadline.expired"
	TypeRulingSLABreached     = "ruling.sla_breached"
)

// ScheduledDeadline is a deadline started by an event, with its due time
// computed when the event was recorded.
type ScheduledDeadline struct {
	Kind  DeadlineKind `json:"kind"`
	DueAt time.Time    `json:"due_at"`
}

// Schedule is embedded in every event that starts deadlines or was shaped by
// policy, so that replay and audit never depend on today's policy.
type Schedule struct {
	PolicyVersion string `json:"policy_version"`
	// PolicySHA256 is the hex SHA-256 of the policy version's canonical
	// document (policy.Policy.SHA256), so that an auditor can tell the
	// document they are given is the one the event was decided under. Events
	// recorded before it existed leave it out.
	PolicySHA256 string              `json:"policy_sha256,omitempty"`
	Deadlines    []ScheduledDeadline `json:"deadlines"`
}

// Terms are the substance of a ruling.
type Terms struct {
	Outcome      Outcome   `json:"outcome"`
	Liability    Liability `json:"liability"`
	Refund       int64     `json:"refund"`       // minor units
	Compensation int64     `json:"compensation"` // minor units, 假一赔十 for counterfeits
	Counterfeit  bool      `json:"counterfeit"`
}

// RefundRequested opens a ticket: the buyer asks for a refund, a return or an exchange.
type RefundRequested struct {
	TicketID     string     `json:"ticket_id"`
	OrderID      string     `json:"order_id"`
	BuyerID      string     `json:"buyer_id"`
	MerchantID   string     `json:"merchant_id"`
	Kind         TicketKind `json:"kind"`
	Reason       Reason     `json:"reason"`
	Currency     string     `json:"currency"`
	AmountPaid   int64      `json:"amount_paid"`
	Requested    int64      `json:"requested"`
	Description  string     `json:"description"`
	OrderShipped bool       `json:"order_shipped"`
	DeliveredAt  *time.Time `json:"delivered_at"`
	Schedule
}

// RequestRevised is the buyer changing the request after a refusal.
type RequestRevised struct {
	Requested   int64  `json:"requested"`
	Description string `json:"description"`
	Schedule
}

// MerchantAgreed is the merchant (or the system on its behalf) accepting the request.
type MerchantAgreed struct {
	Auto          bool   `json:"auto"`
	ReturnAddress string `json:"return_address"`
	Schedule
}

// MerchantRejected is the merchant refusing the request.
type MerchantRejected struct {
	Reason string `json:"reason"`
	Schedule
}

// OfferMade is the merchant proposing something other than the request. The
// buyer has the escalation window to accept, decline or escalate.
type OfferMade struct {
	Kind   OfferKind `json:"kind"`
	Amount int64     `json:"amount"`
	Note   string    `json:"note"`
	Schedule
}

// OfferAccepted closes the ticket by agreement on the merchant's offer.
type OfferAccepted struct {
	Kind   OfferKind `json:"kind"`
	Amount int64     `json:"amount"`
}

// OfferDeclined is the buyer refusing the merchant's offer.
type OfferDeclined struct {
	Reason string `json:"reason"`
	Schedule
}

// ReturnShipped is the buyer sending the goods back.
type ReturnShipped struct {
	Shipment
	Schedule
}

// ReturnReceived is the merchant (or the system) confirming the return arrived intact.
type ReturnReceived struct {
	Auto bool `json:"auto"`
	Schedule
}

// ReturnProblemReported is the merchant reporting a problem with the returned
// parcel; it counts as a rejection.
type ReturnProblemReported struct {
	Problem ReturnProblem `json:"problem"`
	Note    string        `json:"note"`
	Schedule
}

// ReplacementShipped is the merchant sending a replacement.
type ReplacementShipped struct {
	Shipment
	Schedule
}

// ReplacementConfirmed is the buyer (or the system) confirming the
// replacement; it closes an exchange.
type ReplacementConfirmed struct {
	Auto bool `json:"auto"`
}

// RefundIssued records that a refund was issued (not settled); it closes the ticket.
type RefundIssued struct {
	Amount int64        `json:"amount"`
	Origin RefundOrigin `json:"origin"`
}

// InterventionRequested brings in the platform (介入) and locks the ticket.
type InterventionRequested struct {
	By     Role   `json:"by"`
	Reason string `json:"reason"`
	Schedule
}

// EvidenceRequested opens the evidence window for both parties.
type EvidenceRequested struct {
	Note string `json:"note"`
	Schedule
}

// EvidenceSubmitted is a party's evidence; Late when sent after the window.
type EvidenceSubmitted struct {
	Party Role           `json:"party"`
	Items []EvidenceItem `json:"items"`
	Late  bool           `json:"late"`
}

// MarkedResolved is the buyer declaring the dispute settled during the
// negotiation window; it closes with no liability ruling (不判责).
type MarkedResolved struct {
	Note string `json:"note"`
}

// RulingRecorded is an arbitrator's ruling.
type RulingRecorded struct {
	Terms
	Rationale string   `json:"rationale"`
	Evidence  []string `json:"evidence"`
	Late      bool     `json:"late"` // recorded after the ruling SLA
	Schedule
}

// AppealFiled is a party appealing the ruling (once per ticket).
type AppealFiled struct {
	Party   Role   `json:"party"`
	Grounds string `json:"grounds"`
}

// AppealDecided is a senior arbitrator upholding or overturning the ruling.
// When overturned, Terms replace the ruling's terms.
//
// Schema version 2 records the policy the decision was made under, as
// every other decision does; version 1 recorded none (it reads as version
// 2 with both members empty, and SchemaVersionOf's upcast keeps it so).
type AppealDecided struct {
	Decision  AppealDecision `json:"decision"`
	Rationale string         `json:"rationale"`
	Terms     *Terms         `json:"terms"`
	// PolicyVersion and PolicySHA256 are as in Schedule; absent on an
	// appeal decision recorded at schema version 1.
	PolicyVersion string `json:"policy_version,omitempty"`
	PolicySHA256  string `json:"policy_sha256,omitempty"`
}

// RulingFinalized makes the ruling (as possibly changed on appeal) final and
// closes the ticket; a refund in its terms is thereby ordered.
type RulingFinalized struct {
	Terms
}

// TicketWithdrawn is the buyer withdrawing before a ruling.
type TicketWithdrawn struct {
	Note string `json:"note"`
}

// TicketAbandoned closes a ticket whose return was never shipped in time.
type TicketAbandoned struct{}

// TicketExpired closes a ticket whose buyer never escalated a rejection in time.
type TicketExpired struct{}

// MessagePosted is a message from a party. VagueDeadline flags a merchant
// promise without a concrete time (尽快, 马上, "ASAP"…), decided when recorded.
type MessagePosted struct {
	Party         Role     `json:"party"`
	Text          string   `json:"text"`
	VagueDeadline bool     `json:"vague_deadline"`
	VagueWords    []string `json:"vague_words"`
	PolicyVersion string   `json:"policy_version"`
	// PolicySHA256 is as in Schedule.
	PolicySHA256 string `json:"policy_sha256,omitempty"`
}

// DeadlineExpired is the scheduler firing a due deadline. The events that
// follow it in the same append record what it caused.
type DeadlineExpired struct {
	Deadline          DeadlineKind `json:"deadline"`
	DueAt             time.Time    `json:"due_at"`
	MerchantPenalised bool         `json:"merchant_penalised"`
}

// RulingSLABreached records that the platform missed its ruling deadline: a
// service breach against the platform, not the merchant.
type RulingSLABreached struct {
	DueAt time.Time `json:"due_at"`
}

// EventType implementations.

func (RefundRequested) EventType() string       { return TypeRefundRequested }
func (RequestRevised) EventType() string        { return TypeRequestRevised }
func (MerchantAgreed) EventType() string        { return TypeMerchantAgreed }
func (MerchantRejected) EventType() string      { return TypeMerchantRejected }
func (OfferMade) EventType() string             { return TypeOfferMade }
func (OfferAccepted) EventType() string         { return TypeOfferAccepted }
func (OfferDeclined) EventType() string         { return TypeOfferDeclined }
func (ReturnShipped) EventType() string         { return TypeReturnShipped }
func (ReturnReceived) EventType() string        { return TypeReturnReceived }
func (ReturnProblemReported) EventType() string { return TypeReturnProblemReported }
func (ReplacementShipped) EventType() string    { return TypeReplacementShipped }
func (ReplacementConfirmed) EventType() string  { return TypeReplacementConfirmed }
func (RefundIssued) EventType() string          { return TypeRefundIssued }
func (InterventionRequested) EventType() string { return TypeInterventionRequested }
func (EvidenceRequested) EventType() string     { return TypeEvidenceRequested }
func (EvidenceSubmitted) EventType() string     { return TypeEvidenceSubmitted }
func (MarkedResolved) EventType() string        { return TypeMarkedResolved }
func (RulingRecorded) EventType() string        { return TypeRulingRecorded }
func (AppealFiled) EventType() string           { return TypeAppealFiled }
func (AppealDecided) EventType() string         { return TypeAppealDecided }
func (RulingFinalized) EventType() string       { return TypeRulingFinalized }
func (TicketWithdrawn) EventType() string       { return TypeTicketWithdrawn }
func (TicketAbandoned) EventType() string       { return TypeTicketAbandoned }
func (TicketExpired) EventType() string         { return TypeTicketExpired }
func (MessagePosted) EventType() string         { return TypeMessagePosted }
func (DeadlineExpired) EventType() string       { return TypeDeadlineExpired }
func (RulingSLABreached) EventType() string     { return TypeRulingSLABreached }
