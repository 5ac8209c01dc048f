package events

// TicketKind is the kind of after-sales request (docs/domain.md, "Ticket kinds").
type TicketKind string

// The ticket kinds.
const (
	KindRefundOnly   TicketKind = "refund_only"   // 仅退款
	KindReturnRefund TicketKind = "return_refund" // 退货退款
	KindExchange     TicketKind = "exchange"      // 换货
)

// TicketKinds returns every ticket kind.
func TicketKinds() []TicketKind { return []TicketKind{KindRefundOnly, KindReturnRefund, KindExchange} }

// Reason is why the buyer opened the ticket.
type Reason string

// The reasons. NoReason (七天无理由) is accepted only within the return window.
const (
	ReasonNoReason      Reason = "no_reason"
	ReasonQuality       Reason = "quality"
	ReasonNotAsDescribe Reason = "not_as_described"
	ReasonDamaged       Reason = "damaged"
	ReasonCounterfeit   Reason = "counterfeit"
	ReasonNotShipped    Reason = "not_shipped"
	ReasonLogistics     Reason = "logistics_delay"
	ReasonMissingParts  Reason = "missing_parts"
	ReasonOther         Reason = "other"
)

// OfferKind is what a merchant proposes instead of the buyer's request.
type OfferKind string

// The offer kinds.
const (
	OfferPartialRefund OfferKind = "partial_refund"
	OfferReplacement   OfferKind = "replacement_without_return"
)

// ReturnProblem is what a merchant reports on receiving a return.
type ReturnProblem string

// The return problems.
const (
	ProblemNotReceived   ReturnProblem = "not_received"
	ProblemDamaged       ReturnProblem = "damaged"
	ProblemEmptyPackage  ReturnProblem = "empty_package"
	ProblemDifferentItem ReturnProblem = "different_item"
	ProblemPartsMissing  ReturnProblem = "parts_missing"
)

// Outcome is an arbitrator's ruling outcome.
type Outcome string

// The outcomes.
const (
	OutcomeBuyerFavoured    Outcome = "buyer_favoured"
	OutcomePartiallyFavored Outcome = "partially_favoured"
	OutcomeMerchantFavoured Outcome = "merchant_favoured"
)

// Liability is who a ruling holds responsible.
type Liability string

// The liabilities.
const (
	LiabilityMerchant Liability = "merchant"
	LiabilityBuyer    Liability = "buyer"
	LiabilityShared   Liability = "shared"
	LiabilityNone     Liability = "none"
)

// RefundOrigin says who caused a refund to be issued.
type RefundOrigin string

// The refund origins.
const (
	RefundByMerchant RefundOrigin = "merchant"
	RefundBySystem   RefundOrigin = "system" // a deadline expired
)

// AppealDecision is a senior arbitrator's answer to an appeal.
type AppealDecision string

// The appeal decisions.
const (
	AppealUpheld     AppealDecision = "upheld"
	AppealOverturned AppealDecision = "overturned"
)

// EvidenceItem is one piece of evidence. The file lives outside the ledger;
// the ledger keeps its SHA-256 so the file can be checked later.
type EvidenceItem struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Description string `json:"description"`
	SHA256      string `json:"sha256"`
	URI         string `json:"uri"`
}

// Shipment is a parcel handed to a carrier.
type Shipment struct {
	Carrier        string `json:"carrier"`
	TrackingNumber string `json:"tracking_number"`
}
