package domain

import (
	"fmt"
	"strings"

	"github.com/disputes-ledger/disputes/events"
)

func validShipment(s events.Shipment) error {
	if strings.TrimSpace(s.Carrier) == "" {
		return invalid("carrier", "is required")
	}
	if strings.TrimSpace(s.TrackingNumber) == "" {
		return invalid("tracking_number", "is required")
	}
	return nil
}

func (d *decision) shipReturn(c ShipReturn) ([]events.Payload, error) {
	if err := d.requireStatus("ship the return", StatusAwaitingReturn); err != nil {
		return nil, err
	}
	if err := validShipment(c.Shipment); err != nil {
		return nil, err
	}
	return one(events.ReturnShipped{Shipment: c.Shipment, Schedule: d.schedule(events.DeadlineMerchantReceipt)})
}

// confirmReceipt is allowed whenever a return is on its way, even after
// intervention: receiving goods is the one thing a locked merchant may do.
//
// A parcel reported not received may still arrive. Its receipt can then be
// confirmed, plainly or with another problem, while the rejection that the
// report made stands (the ticket is rejected; a plain confirmation withdraws
// the rejection and starts the refund or reship deadline, like any receipt)
// or under intervention (the ticket stays locked, no party deadline starts,
// and the receipt is on record for the arbitrator). Once the buyer revised
// the request the report no longer stands alone, and the late receipt is
// refused.
func (d *decision) confirmReceipt(c ConfirmReceipt) ([]events.Payload, error) {
	switch d.t.ReturnStatus {
	case ReturnShipped:
	case ReturnNotReceived:
		if !d.t.Locked && d.t.Status != StatusRejected {
			return nil, refuse(ErrWrongState, "the parcel reported not received can be confirmed while that rejection stands or under intervention, not while the ticket is %s", d.t.Status)
		}
		if c.Problem == events.ProblemNotReceived {
			return nil, refuse(ErrWrongState, "the return parcel is already reported not received")
		}
	default:
		return nil, refuse(ErrWrongState, "no return parcel is in transit (return %s)", orNone(string(d.t.ReturnStatus)))
	}
	if c.Problem != "" {
		switch c.Problem {
		case events.ProblemNotReceived, events.ProblemDamaged, events.ProblemEmptyPackage,
			events.ProblemDifferentItem, events.ProblemPartsMissing:
		default:
			return nil, invalid("problem", fmt.Sprintf("%q is not a known return problem", c.Problem))
		}
		return one(events.ReturnProblemReported{Problem: c.Problem, Note: c.Note, Schedule: d.receiptSchedule(events.DeadlineBuyerEscalation)})
	}
	return one(events.ReturnReceived{Schedule: d.receiptSchedule(d.afterReceipt())})
}

// afterReceipt is the merchant's next deadline once the return is in hand.
func (d *decision) afterReceipt() events.DeadlineKind {
	if d.t.Kind == events.KindExchange {
		return events.DeadlineMerchantReship
	}
	return events.DeadlineMerchantRefund
}

// receiptSchedule starts kind unless the ticket is locked, when the platform
// owns the timetable and no party deadline starts.
func (d *decision) receiptSchedule(kind events.DeadlineKind) events.Schedule {
	if d.t.Locked {
		return d.schedule()
	}
	return d.schedule(kind)
}

func (d *decision) issueRefund(c IssueRefund) ([]events.Payload, error) {
	if err := d.requireStatus("issue a refund", StatusAwaitingRefund, StatusAwaitingMerchant, StatusRejected); err != nil {
		return nil, err
	}
	if d.t.Status != StatusAwaitingRefund && d.t.Kind != events.KindRefundOnly {
		return nil, refuse(ErrWrongState, "a %s ticket is refunded after the return is received", d.t.Kind)
	}
	amount := c.Amount
	if amount == 0 {
		amount = d.t.Requested
	}
	if amount <= 0 {
		return nil, invalid("amount", "must be positive (minor units)")
	}
	total, err := addAmounts(amount, d.t.Refunded)
	if err != nil {
		return nil, err
	}
	if total > d.t.AmountPaid {
		return nil, refuse(ErrAmountExceedsPaid, "refund %d with %d already refunded, paid %d", amount, d.t.Refunded, d.t.AmountPaid)
	}
	return one(events.RefundIssued{Amount: amount, Origin: events.RefundByMerchant})
}

func (d *decision) shipReplacement(c ShipReplacement) ([]events.Payload, error) {
	if err := d.requireStatus("ship a replacement", StatusAwaitingReship); err != nil {
		return nil, err
	}
	if err := validShipment(c.Shipment); err != nil {
		return nil, err
	}
	return one(events.ReplacementShipped{Shipment: c.Shipment, Schedule: d.schedule(events.DeadlineBuyerConfirmation)})
}

func (d *decision) confirmReplacement() ([]events.Payload, error) {
	if err := d.requireStatus("confirm the replacement", StatusReplacementInTransit); err != nil {
		return nil, err
	}
	return one(events.ReplacementConfirmed{})
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
