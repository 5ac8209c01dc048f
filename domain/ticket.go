package domain

import (
	"slices"
	"time"

	"github.com/disputes-ledger/disputes/events"
)

// Status is a ticket's stage in the lifecycle.
type Status string

// The statuses. A ticket with StatusNone does not exist yet.
const (
	StatusNone                 Status = ""
	StatusAwaitingMerchant     Status = "awaiting_merchant"
	StatusRejected             Status = "rejected"
	StatusOfferPending         Status = "offer_pending"
	StatusAwaitingReturn       Status = "awaiting_return_shipment"
	StatusReturnInTransit      Status = "return_in_transit"
	StatusAwaitingRefund       Status = "awaiting_refund"
	StatusAwaitingReship       Status = "awaiting_reship"
	StatusReplacementInTransit Status = "replacement_in_transit"
	StatusNegotiation          Status = "negotiation"
	StatusAwaitingEvidence     Status = "awaiting_evidence"
	StatusUnderReview          Status = "under_review"
	StatusRuled                Status = "ruled"
	StatusUnderAppeal          Status = "under_appeal"
	StatusClosed               Status = "closed"
)

// Statuses returns every status a ticket that exists can be in, in
// lifecycle order.
func Statuses() []Status {
	return []Status{StatusAwaitingMerchant, StatusRejected, StatusOfferPending, StatusAwaitingReturn,
		StatusReturnInTransit, StatusAwaitingRefund, StatusAwaitingReship, StatusReplacementInTransit,
		StatusNegotiation, StatusAwaitingEvidence, StatusUnderReview, StatusRuled, StatusUnderAppeal, StatusClosed}
}

// Resolution is how a closed ticket ended.
type Resolution string

// The resolutions.
const (
	ResolutionRefunded  Resolution = "refunded"
	ResolutionExchanged Resolution = "exchanged"
	ResolutionAgreed    Resolution = "agreed"
	ResolutionResolved  Resolution = "resolved" // marked resolved in negotiation: 不判责
	ResolutionWithdrawn Resolution = "withdrawn"
	ResolutionExpired   Resolution = "expired"
	ResolutionAbandoned Resolution = "abandoned"
	ResolutionRuled     Resolution = "ruled"
)

// ReturnStatus tracks the returned parcel apart from the ticket's stage,
// because receipt may be confirmed even while the ticket is locked.
type ReturnStatus string

// The return statuses.
const (
	ReturnNone     ReturnStatus = ""
	ReturnAwaiting ReturnStatus = "awaiting_shipment"
	ReturnShipped  ReturnStatus = "shipped"
	ReturnReceived ReturnStatus = "received"
	ReturnProblem  ReturnStatus = "problem"
	// ReturnNotReceived is a parcel the merchant reported not received. It
	// may still arrive: the merchant can then confirm its receipt, plainly
	// or with another problem, while the rejection stands or under
	// intervention.
	ReturnNotReceived ReturnStatus = "not_received"
)

// Offer is a merchant's pending counter-proposal.
type Offer struct {
	Kind   events.OfferKind
	Amount int64
}

// Evidence is one recorded evidence item and its provenance.
type Evidence struct {
	events.EvidenceItem
	Party      events.Role
	RecordedAt time.Time
	Late       bool
}

// Ruling is the arbitrator's ruling and the appeal on it.
type Ruling struct {
	ArbitratorID  string
	RecordedAt    time.Time
	Terms         events.Terms
	Evidence      []string
	Late          bool
	PolicyVersion string
	Appeal        *Appeal
}

// Appeal is the one appeal a ticket may have.
type Appeal struct {
	Party     events.Role
	Grounds   string
	FiledAt   time.Time
	Decision  events.AppealDecision // "" while pending
	DecidedBy string
	// Terms replace the ruling's terms when the appeal overturned it.
	Terms *events.Terms
}

// Ticket is the aggregate's state, folded from its events. Treat it as a
// value: Apply returns a new Ticket and never changes the one it was called on.
type Ticket struct {
	ID           string
	OrderID      string
	BuyerID      string
	MerchantID   string
	Kind         events.TicketKind
	Reason       events.Reason
	Currency     string
	AmountPaid   int64
	Requested    int64
	Refunded     int64
	Compensation int64
	Description  string
	OrderShipped bool
	DeliveredAt  *time.Time

	Status     Status
	Resolution Resolution
	Liability  events.Liability
	Locked     bool
	// BuyerMayEscalate and MerchantMayEscalate record that the other side
	// rejected or timed out, which gives grounds for intervention.
	BuyerMayEscalate    bool
	MerchantMayEscalate bool
	Offer               *Offer
	ReturnAddress       string
	ReturnStatus        ReturnStatus
	ReturnShipment      *events.Shipment
	Replacement         *events.Shipment

	// Deadlines are the open deadlines and their due times.
	Deadlines map[events.DeadlineKind]time.Time
	// Evidence by item id, and EvidenceOrder in recording order.
	Evidence      map[string]Evidence
	EvidenceOrder []string
	// MerchantEvidenceInWindow is whether the merchant sent evidence before its window closed.
	MerchantEvidenceInWindow bool
	EvidenceWindowClosed     bool
	Ruling                   *Ruling
	SLABreached              bool
	InterventionBy           events.Role
	InterventionAt           *time.Time

	OpenedAt        time.Time
	UpdatedAt       time.Time
	ClosedAt        *time.Time
	FirstResponseAt *time.Time
	Messages        int
	VagueMessages   int

	// Effect carries the last expiry's due time to the events its command
	// recorded after it, which take effect at that due time too.
	Effect events.ExpiryEffect `json:"-"`

	// Revision is the revision of the last applied event; Events counts them.
	Revision uint64
	Events   int
	LastHash string
}

// Exists reports whether the ticket has been opened.
func (t Ticket) Exists() bool { return t.Status != StatusNone }

// Closed reports whether the ticket is closed.
func (t Ticket) Closed() bool { return t.Status == StatusClosed }

// NextDeadline returns the earliest open deadline, if any, whether or not
// it is already past due: the one to fire first. To show a ticket at a
// moment, use UpcomingDeadline and Overdue, which never call a missed
// deadline "next".
func (t Ticket) NextDeadline() (events.DeadlineKind, time.Time, bool) {
	var (
		kind  events.DeadlineKind
		due   time.Time
		found bool
	)
	for _, k := range events.DeadlineKinds() { // fixed order makes ties deterministic
		d, ok := t.Deadlines[k]
		if ok && (!found || d.Before(due)) {
			kind, due, found = k, d, true
		}
	}
	return kind, due, found
}

// OpenDeadlines returns the open deadlines sorted by due time.
func (t Ticket) OpenDeadlines() []events.ScheduledDeadline {
	out := make([]events.ScheduledDeadline, 0, len(t.Deadlines))
	for _, k := range events.DeadlineKinds() {
		if d, ok := t.Deadlines[k]; ok {
			out = append(out, events.ScheduledDeadline{Kind: k, DueAt: d})
		}
	}
	slices.SortStableFunc(out, func(a, b events.ScheduledDeadline) int { return a.DueAt.Compare(b.DueAt) })
	return out
}

// EffectiveAt returns when env, the next event of t's stream, takes effect:
// its recording time, or the due time of the expiry it records or was caused by.
func (t Ticket) EffectiveAt(env events.Envelope) time.Time { return t.Effect.At(env) }

// Overdue returns the open deadlines due at or before now, soonest first:
// missed deadlines whose expiry is not recorded yet. Once fired, each takes
// effect at its due time.
func (t Ticket) Overdue(now time.Time) []events.ScheduledDeadline {
	var out []events.ScheduledDeadline
	for _, d := range t.OpenDeadlines() {
		if !d.DueAt.After(now) {
			out = append(out, d)
		}
	}
	return out
}

// UpcomingDeadline returns the earliest open deadline still due after now.
func (t Ticket) UpcomingDeadline(now time.Time) (events.ScheduledDeadline, bool) {
	for _, d := range t.OpenDeadlines() {
		if d.DueAt.After(now) {
			return d, true
		}
	}
	return events.ScheduledDeadline{}, false
}
