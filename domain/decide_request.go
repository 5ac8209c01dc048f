package domain

import (
	"fmt"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/events"
)

func (d *decision) open(c OpenTicket) ([]events.Payload, error) {
	if d.t.Exists() {
		return nil, taken(&d.t)
	}
	if err := validateOpen(c); err != nil {
		return nil, err
	}
	if err := contradiction(c, d.now); err != nil {
		return nil, err
	}
	if c.Requested > c.AmountPaid {
		return nil, refuse(ErrAmountExceedsPaid, "requested %d, paid %d", c.Requested, c.AmountPaid)
	}
	if c.Kind != events.KindRefundOnly && c.DeliveredAt == nil {
		return nil, refuse(ErrWrongState, "%s needs delivered goods (delivered_at)", c.Kind)
	}
	if c.Reason == events.ReasonNotShipped && (c.OrderShipped || c.Kind != events.KindRefundOnly) {
		return nil, invalid("reason", "not_shipped applies only to a refund_only request on an order never shipped")
	}
	if c.Reason == events.ReasonNoReason {
		if c.DeliveredAt == nil {
			return nil, refuse(ErrWindowClosed, "no_reason return needs a delivery time")
		}
		if last := d.pol.NoReasonDeadline(*c.DeliveredAt); d.now.After(last) {
			return nil, refuse(ErrWindowClosed, "no_reason return ended %s", last.Format("2006-01-02 15:04:05 MST"))
		}
	}
	var delivered = c.DeliveredAt
	if delivered != nil {
		utc := delivered.UTC()
		delivered = &utc
	}
	return one(events.RefundRequested{
		TicketID: c.TicketID, OrderID: c.OrderID, BuyerID: d.actor.ID, MerchantID: c.MerchantID,
		Kind: c.Kind, Reason: c.Reason, Currency: c.Currency, AmountPaid: c.AmountPaid,
		Requested: c.Requested, Description: c.Description, OrderShipped: c.OrderShipped,
		DeliveredAt: delivered, Schedule: d.schedule(events.DeadlineMerchantResponse),
	})
}

func validateOpen(c OpenTicket) error {
	// In this order, so that a command missing several names is always
	// refused for the same one (a map's order would vary from run to run).
	for _, f := range [...]struct{ field, value string }{{"ticket_id", c.TicketID}, {"order_id", c.OrderID}, {"merchant_id", c.MerchantID}} {
		if strings.TrimSpace(f.value) == "" {
			return invalid(f.field, "is required")
		}
	}
	switch c.Kind {
	case events.KindRefundOnly, events.KindReturnRefund, events.KindExchange:
	default:
		return invalid("kind", fmt.Sprintf("%q is not refund_only, return_refund or exchange", c.Kind))
	}
	switch c.Reason {
	case events.ReasonNoReason, events.ReasonQuality, events.ReasonNotAsDescribe, events.ReasonDamaged,
		events.ReasonCounterfeit, events.ReasonNotShipped, events.ReasonLogistics, events.ReasonMissingParts, events.ReasonOther:
	default:
		return invalid("reason", fmt.Sprintf("%q is not a known reason", c.Reason))
	}
	if !validCurrency(c.Currency) {
		return invalid("currency", fmt.Sprintf("%q is not an ISO 4217 code", c.Currency))
	}
	if c.AmountPaid <= 0 {
		return invalid("amount_paid", "must be positive (minor units)")
	}
	if c.Kind != events.KindExchange && c.Requested <= 0 {
		return invalid("requested", "must be positive (minor units)")
	}
	if c.Requested < 0 {
		return invalid("requested", "must not be negative")
	}
	return nil
}

// contradiction refuses a request whose facts about the order cannot all be
// true when it is opened at now: an order never shipped has no delivery
// time and no complaint about goods the buyer never had, and no delivery
// lies in the future.
func contradiction(c OpenTicket, now time.Time) error {
	if !c.OrderShipped && c.DeliveredAt != nil {
		return &ContradictionError{Fields: []string{"order_shipped", "delivered_at"},
			Reason: "an order never shipped cannot have been delivered"}
	}
	if c.DeliveredAt != nil && c.DeliveredAt.After(now) {
		return &ContradictionError{Fields: []string{"delivered_at"},
			Reason: fmt.Sprintf("delivery at %s is after the request at %s", c.DeliveredAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))}
	}
	if !c.OrderShipped && goodsInHand(c.Reason) {
		return &ContradictionError{Fields: []string{"order_shipped", "reason"},
			Reason: fmt.Sprintf("reason %s is about goods received, but the order was never shipped", c.Reason)}
	}
	return nil
}

// goodsInHand reports whether a reason complains about goods the buyer has.
func goodsInHand(r events.Reason) bool {
	switch r {
	case events.ReasonQuality, events.ReasonNotAsDescribe, events.ReasonDamaged, events.ReasonCounterfeit, events.ReasonMissingParts:
		return true
	}
	return false
}

func validCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

func (d *decision) revise(c ReviseRequest) ([]events.Payload, error) {
	if err := d.requireStatus("revise", StatusAwaitingMerchant, StatusRejected); err != nil {
		return nil, err
	}
	if d.t.Locked {
		return nil, refuse(ErrTicketLocked, "cannot revise after intervention")
	}
	if c.Requested <= 0 && d.t.Kind != events.KindExchange {
		return nil, invalid("requested", "must be positive (minor units)")
	}
	if c.Requested > d.t.AmountPaid {
		return nil, refuse(ErrAmountExceedsPaid, "requested %d, paid %d", c.Requested, d.t.AmountPaid)
	}
	return one(events.RequestRevised{Requested: c.Requested, Description: c.Description,
		Schedule: d.schedule(events.DeadlineMerchantResponse)})
}

func (d *decision) withdraw(c Withdraw) ([]events.Payload, error) {
	if err := d.requireStatus("withdraw", beforeRuling()...); err != nil {
		return nil, err
	}
	return one(events.TicketWithdrawn{Note: c.Note})
}

// beforeRuling lists the open statuses in which no ruling exists yet.
func beforeRuling() []Status {
	return []Status{StatusAwaitingMerchant, StatusRejected, StatusOfferPending, StatusAwaitingReturn,
		StatusReturnInTransit, StatusAwaitingRefund, StatusAwaitingReship, StatusReplacementInTransit,
		StatusNegotiation, StatusAwaitingEvidence, StatusUnderReview}
}

func (d *decision) agree(c Agree) ([]events.Payload, error) {
	if err := d.requireStatus("agree", StatusAwaitingMerchant); err != nil {
		return nil, err
	}
	return d.approve(false, c.ReturnAddress)
}

// approve is the merchant's agreement, or the system's on its behalf when the
// merchant stayed silent: a refund-only request is refunded at once, a return
// or exchange waits for the buyer's parcel.
func (d *decision) approve(auto bool, returnAddress string) ([]events.Payload, error) {
	if d.t.Kind == events.KindRefundOnly {
		return []events.Payload{
			events.MerchantAgreed{Auto: auto, Schedule: d.schedule()},
			events.RefundIssued{Amount: d.t.Requested, Origin: refundOrigin(auto)},
		}, nil
	}
	if strings.TrimSpace(returnAddress) == "" {
		if !auto {
			return nil, invalid("return_address", "is required to agree to a return")
		}
		returnAddress = "merchant's registered return address"
	}
	return one(events.MerchantAgreed{Auto: auto, ReturnAddress: returnAddress,
		Schedule: d.schedule(events.DeadlineReturnShipment)})
}

func refundOrigin(bySystem bool) events.RefundOrigin {
	if bySystem {
		return events.RefundBySystem
	}
	return events.RefundByMerchant
}

func (d *decision) reject(c Reject) ([]events.Payload, error) {
	if err := d.requireStatus("reject", StatusAwaitingMerchant); err != nil {
		return nil, err
	}
	if strings.TrimSpace(c.Reason) == "" {
		return nil, invalid("reason", "is required to reject")
	}
	return one(events.MerchantRejected{Reason: c.Reason, Schedule: d.schedule(events.DeadlineBuyerEscalation)})
}

func (d *decision) makeOffer(c MakeOffer) ([]events.Payload, error) {
	if err := d.requireStatus("make an offer", StatusAwaitingMerchant); err != nil {
		return nil, err
	}
	switch c.Kind {
	case events.OfferPartialRefund:
		if c.Amount <= 0 {
			return nil, invalid("amount", "a partial refund must be positive")
		}
		if c.Amount > d.t.AmountPaid {
			return nil, refuse(ErrAmountExceedsPaid, "offer %d, paid %d", c.Amount, d.t.AmountPaid)
		}
	case events.OfferReplacement:
		if c.Amount != 0 {
			return nil, invalid("amount", "a replacement offer carries no amount")
		}
	default:
		return nil, invalid("kind", fmt.Sprintf("%q is not partial_refund or replacement_without_return", c.Kind))
	}
	return one(events.OfferMade{Kind: c.Kind, Amount: c.Amount, Note: c.Note,
		Schedule: d.schedule(events.DeadlineBuyerEscalation)})
}

func (d *decision) acceptOffer() ([]events.Payload, error) {
	if err := d.requireStatus("accept an offer", StatusOfferPending); err != nil {
		return nil, err
	}
	return one(events.OfferAccepted{Kind: d.t.Offer.Kind, Amount: d.t.Offer.Amount})
}

func (d *decision) declineOffer(c DeclineOffer) ([]events.Payload, error) {
	if err := d.requireStatus("decline an offer", StatusOfferPending); err != nil {
		return nil, err
	}
	return one(events.OfferDeclined{Reason: c.Reason, Schedule: d.schedule(events.DeadlineBuyerEscalation)})
}
