package domain

import "github.com/disputes-ledger/disputes/events"

// CommandOf rebuilds the command whose decision records p first, and
// returns false for an event that only follows from another event of its
// decision: what an expiry causes (an automatic agreement, receipt, refund
// or confirmation, an abandoned or expired ticket, a breached SLA) and the
// finalisation an appeal decision makes. It is the inverse of Decide's
// first payload and holds no rule: CheckDecision hands the command back to
// Decide, and a field Decide computes rather than copies (a due time, a flag,
// an amount by default) is checked by comparing what Decide records with
// what was recorded.
func CommandOf(p events.Payload) (Command, bool) {
	switch e := p.(type) {
	case events.RefundRequested:
		return OpenTicket{TicketID: e.TicketID, OrderID: e.OrderID, MerchantID: e.MerchantID, Kind: e.Kind,
			Reason: e.Reason, Currency: e.Currency, AmountPaid: e.AmountPaid, Requested: e.Requested,
			Description: e.Description, OrderShipped: e.OrderShipped, DeliveredAt: e.DeliveredAt}, true
	case events.RequestRevised:
		return ReviseRequest{Requested: e.Requested, Description: e.Description}, true
	case events.TicketWithdrawn:
		return Withdraw{Note: e.Note}, true
	case events.MerchantAgreed:
		return Agree{ReturnAddress: e.ReturnAddress}, !e.Auto
	case events.MerchantRejected:
		return Reject{Reason: e.Reason}, true
	case events.OfferMade:
		return MakeOffer{Kind: e.Kind, Amount: e.Amount, Note: e.Note}, true
	case events.OfferAccepted:
		return AcceptOffer{}, true
	case events.OfferDeclined:
		return DeclineOffer{Reason: e.Reason}, true
	case events.ReturnShipped:
		return ShipReturn{Shipment: e.Shipment}, true
	case events.ReturnReceived:
		return ConfirmReceipt{}, !e.Auto
	case events.ReturnProblemReported:
		return ConfirmReceipt{Problem: e.Problem, Note: e.Note}, true
	case events.RefundIssued:
		return IssueRefund{Amount: e.Amount}, e.Origin == events.RefundByMerchant
	case events.ReplacementShipped:
		return ShipReplacement{Shipment: e.Shipment}, true
	case events.ReplacementConfirmed:
		return ConfirmReplacement{}, !e.Auto
	case events.InterventionRequested:
		return RequestIntervention{Reason: e.Reason}, true
	case events.EvidenceRequested:
		return RequestEvidence{Note: e.Note}, true
	case events.EvidenceSubmitted:
		return SubmitEvidence{Items: e.Items}, true
	case events.MarkedResolved:
		return MarkResolved{Note: e.Note}, true
	case events.RulingRecorded:
		return Rule{Terms: e.Terms, Rationale: e.Rationale, Evidence: e.Evidence}, true
	case events.AppealFiled:
		return FileAppeal{Grounds: e.Grounds}, true
	case events.AppealDecided:
		return DecideAppeal{Decision: e.Decision, Rationale: e.Rationale, Terms: e.Terms}, true
	case events.MessagePosted:
		return PostMessage{Text: e.Text}, true
	case events.DeadlineExpired:
		return ExpireDeadline{Deadline: e.Deadline}, true
	}
	// RulingFinalized, TicketAbandoned, TicketExpired, RulingSLABreached
	// and any type this list does not know.
	return nil, false
}
