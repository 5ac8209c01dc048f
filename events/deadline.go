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
