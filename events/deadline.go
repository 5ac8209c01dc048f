package events

// DeadlineKind names one of the deadlines of docs/domain.md's deadline table.
type DeadlineKind string

// The deadlines.
const (
	DeadlineMerchantResponse  DeadlineKind = "merchant_response"
	DeadlineReturnShipment    DeadlineKind = "return_shipment"
	DeadlineBuyerEscalation   DeadlineKind = "buyer_escalation"
	DeadlineMerchantReceipt   DeadlineKind = "merchant_receipt"
	DeadlineMerchantRefund    DeadlineKind = "merchant_refund"
	DeadlineMerchantReship    DeadlineKind = "merchant_reship"
	DeadlineBuyerConfirmation DeadlineKind = "buyer_confirmation"
	DeadlineNegotiation       DeadlineKind = "negotiation"
	DeadlineEvidence          DeadlineKind = "evidence"
	DeadlineRulingSLA         DeadlineKind = "ruling_sla"
	DeadlineAppeal            DeadlineKind = "appeal"
)

// DeadlineKinds lists every deadline kind in table order.
func DeadlineKinds() []DeadlineKind {
	return []DeadlineKind{
		DeadlineMerchantResponse, DeadlineReturnShipment, DeadlineBuyerEscalation,
		DeadlineMerchantReceipt, DeadlineMerchantRefund, DeadlineMerchantReship,
		DeadlineBuyerConfirmation, DeadlineNegotiation, DeadlineEvidence,
		DeadlineRulingSLA, DeadlineAppeal,
	}
}

// Valid reports whether k is a known deadline kind.
func (k DeadlineKind) Valid() bool {
	for _, known := range DeadlineKinds() {
		if k == known {
			return true
		}
	}
	return false
}

// Canonical returns the constant above that equals k, and whether there is
// one. A kind decoded from an event is a window on the event's bytes; its
// constant is one string for the whole program, so a map keyed by
// constants compares keys by their pointers (equal strings at one address)
// and keeps no event's bytes alive.
func (k DeadlineKind) Canonical() (DeadlineKind, bool) {
	switch k {
	case DeadlineMerchantResponse:
		return DeadlineMerchantResponse, true
	case DeadlineReturnShipment:
		return DeadlineReturnShipment, true
	case DeadlineBuyerEscalation:
		return DeadlineBuyerEscalation, true
	case DeadlineMerchantReceipt:
		return DeadlineMerchantReceipt, true
	case DeadlineMerchantRefund:
		return DeadlineMerchantRefund, true
	case DeadlineMerchantReship:
		return DeadlineMerchantReship, true
	case DeadlineBuyerConfirmation:
		return DeadlineBuyerConfirmation, true
	case DeadlineNegotiation:
		return DeadlineNegotiation, true
	case DeadlineEvidence:
		return DeadlineEvidence, true
	case DeadlineRulingSLA:
		return DeadlineRulingSLA, true
	case DeadlineAppeal:
		return DeadlineAppeal, true
	}
	return k, false
}
