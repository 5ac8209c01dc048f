package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

func TestDecideTransitions(t *testing.T) {
	t.Parallel()
	ship := events.Shipment{Carrier: "JD", TrackingNumber: "JD9"}
	counterfeit := events.Terms{Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant,
		Refund: 19900, Compensation: 199000, Counterfeit: true}
	tests := []struct {
		name      string
		given     []step
		when      step
		want      []string
		wantErr   error
		wantState domain.Status
	}{
		// Opening.
		{name: "buyer opens a return", when: open(events.KindReturnRefund),
			want: []string{events.TypeRefundRequested}, wantState: domain.StatusAwaitingMerchant},
		{name: "open twice", given: stageAwaitingMerchant, when: open(events.KindReturnRefund), wantErr: domain.ErrTicketExists},
		{name: "request above paid", when: step{0, buyer, domain.OpenTicket{TicketID: "T-1", OrderID: "O", MerchantID: "m-1",
			Kind: events.KindRefundOnly, Reason: events.ReasonQuality, Currency: "CNY", AmountPaid: 100, Requested: 101, OrderShipped: true}},
			wantErr: domain.ErrAmountExceedsPaid},
		{name: "float-like currency garbage", when: step{0, buyer, domain.OpenTicket{TicketID: "T-1", OrderID: "O", MerchantID: "m-1",
			Kind: events.KindRefundOnly, Reason: events.ReasonQuality, Currency: "yuan", AmountPaid: 100, Requested: 100}},
			wantErr: domain.ErrInvalidCommand},
		{name: "unknown kind", when: step{0, buyer, domain.OpenTicket{TicketID: "T-1", OrderID: "O", MerchantID: "m-1",
			Kind: "gift", Reason: events.ReasonQuality, Currency: "CNY", AmountPaid: 100, Requested: 100}},
			wantErr: domain.ErrInvalidCommand},
		{name: "return without delivery", when: step{0, buyer, domain.OpenTicket{TicketID: "T-1", OrderID: "O", MerchantID: "m-1",
			Kind: events.KindReturnRefund, Reason: events.ReasonQuality, Currency: "CNY", AmountPaid: 100, Requested: 100, OrderShipped: true}},
			wantErr: domain.ErrWrongState},
		{name: "no-reason return on the 7th day", when: noReason(7*24*h - time.Minute), want: []string{events.TypeRefundRequested}},
		{name: "no-reason return on the 8th day", when: noReason(8*24*h + time.Minute), wantErr: domain.ErrWindowClosed},
		{name: "no-reason return at 23:59 of the 7th day", when: noReason(7*24*h + 13*h + 59*time.Minute), want: []string{events.TypeRefundRequested}},
		{name: "no-reason return at midnight after the 7th day", when: noReason(7*24*h + 14*h), wantErr: domain.ErrWindowClosed},
		{name: "not shipped needs order_shipped=false", when: step{0, buyer, domain.OpenTicket{TicketID: "T-1", OrderID: "O", MerchantID: "m-1",
			Kind: events.KindRefundOnly, Reason: events.ReasonNotShipped, Currency: "CNY", AmountPaid: 100, Requested: 100, OrderShipped: true}},
			wantErr: domain.ErrInvalidCommand},
		{name: "merchant cannot open", when: step{0, merchant, open(events.KindRefundOnly).cmd}, wantErr: domain.ErrRoleNotAllowed},

		// Merchant answers.
		{name: "agree to refund only refunds", given: []step{open(events.KindRefundOnly)}, when: step{h, merchant, domain.Agree{}},
			want: []string{events.TypeMerchantAgreed, events.TypeRefundIssued}, wantState: domain.StatusClosed},
		{name: "agree to return needs address", given: stageAwaitingMerchant, when: step{h, merchant, domain.Agree{}}, wantErr: domain.ErrInvalidCommand},
		{name: "agree to return", given: stageAwaitingMerchant, when: step{h, merchant, domain.Agree{ReturnAddress: "A"}},
			want: []string{events.TypeMerchantAgreed}, wantState: domain.StatusAwaitingReturn},
		{name: "reject", given: stageAwaitingMerchant, when: step{h, merchant, domain.Reject{Reason: "used"}},
			want: []string{events.TypeMerchantRejected}, wantState: domain.StatusRejected},
		{name: "reject without reason", given: stageAwaitingMerchant, when: step{h, merchant, domain.Reject{}}, wantErr: domain.ErrInvalidCommand},
		{name: "other merchant rejects", given: stageAwaitingMerchant, when: step{h, otherMerch, domain.Reject{Reason: "x"}}, wantErr: domain.ErrNotYourTicket},
		{name: "reject twice", given: stageRejected, when: step{2 * h, merchant, domain.Reject{Reason: "x"}}, wantErr: domain.ErrWrongState},
		{name: "offer above paid", given: stageAwaitingMerchant, when: step{h, merchant, domain.MakeOffer{Kind: events.OfferPartialRefund, Amount: 20000}},
			wantErr: domain.ErrAmountExceedsPaid},
		{name: "offer replacement", given: stageAwaitingMerchant, when: step{h, merchant, domain.MakeOffer{Kind: events.OfferReplacement}},
			want: []string{events.TypeOfferMade}, wantState: domain.StatusOfferPending},
		{name: "accept offer", given: stageOfferPending, when: step{2 * h, buyer, domain.AcceptOffer{}},
			want: []string{events.TypeOfferAccepted}, wantState: domain.StatusClosed},
		{name: "decline offer", given: stageOfferPending, when: step{2 * h, buyer, domain.DeclineOffer{Reason: "too little"}},
			want: []string{events.TypeOfferDeclined}, wantState: domain.StatusRejected},
		{name: "other buyer accepts offer", given: stageOfferPending, when: step{2 * h, otherBuyer, domain.AcceptOffer{}}, wantErr: domain.ErrNotYourTicket},
		{name: "accept with no offer", given: stageRejected, when: step{2 * h, buyer, domain.AcceptOffer{}}, wantErr: domain.ErrWrongState},

		// After a rejection.
		{name: "revise after rejection", given: stageRejected, when: step{2 * h, buyer, domain.ReviseRequest{Requested: 9900}},
			want: []string{events.TypeRequestRevised}, wantState: domain.StatusAwaitingMerchant},
		{name: "revise above paid", given: stageRejected, when: step{2 * h, buyer, domain.ReviseRequest{Requested: 99900}}, wantErr: domain.ErrAmountExceedsPaid},
		{name: "withdraw", given: stageRejected, when: step{2 * h, buyer, domain.Withdraw{}},
			want: []string{events.TypeTicketWithdrawn}, wantState: domain.StatusClosed},
		{name: "buyer escalates after rejection", given: stageRejected, when: step{2 * h, buyer, domain.RequestIntervention{}},
			want: []string{events.TypeInterventionRequested}, wantState: domain.StatusNegotiation},
		{name: "buyer escalates without grounds", given: stageAwaitingMerchant, when: step{2 * h, buyer, domain.RequestIntervention{}},
			wantErr: domain.ErrEscalationNotAllowed},
		{name: "merchant escalates after rejecting", given: stageRejected, when: step{2 * h, merchant, domain.RequestIntervention{}},
			wantErr: domain.ErrEscalationNotAllowed},
		{name: "merchant escalates after buyer declined", given: append(stageOfferPending[:2:2], step{2 * h, buyer, domain.DeclineOffer{}}),
			when: step{3 * h, merchant, domain.RequestIntervention{}}, want: []string{events.TypeInterventionRequested}},
		{name: "not shipped escalates at once", given: []step{{0, buyer, domain.OpenTicket{TicketID: "T-1", OrderID: "O", MerchantID: "m-1",
			Kind: events.KindRefundOnly, Reason: events.ReasonNotShipped, Currency: "CNY", AmountPaid: 100, Requested: 100}}},
			when: step{h, buyer, domain.RequestIntervention{}}, want: []string{events.TypeInterventionRequested}},

		// Return and refund.
		{name: "ship return", given: stageAwaitingReturn, when: step{2 * h, buyer, domain.ShipReturn{Shipment: ship}},
			want: []string{events.TypeReturnShipped}, wantState: domain.StatusReturnInTransit},
		{name: "ship return without tracking", given: stageAwaitingReturn, when: step{2 * h, buyer, domain.ShipReturn{Shipment: events.Shipment{Carrier: "SF"}}},
			wantErr: domain.ErrInvalidCommand},
		{name: "confirm receipt before shipment", given: stageAwaitingReturn, when: step{2 * h, merchant, domain.ConfirmReceipt{}}, wantErr: domain.ErrWrongState},
		{name: "confirm receipt", given: stageReturnInTransit, when: step{3 * h, merchant, domain.ConfirmReceipt{}},
			want: []string{events.TypeReturnReceived}, wantState: domain.StatusAwaitingRefund},
		{name: "receipt with a problem is a rejection", given: stageReturnInTransit, when: step{3 * h, merchant, domain.ConfirmReceipt{Problem: events.ProblemEmptyPackage}},
			want: []string{events.TypeReturnProblemReported}, wantState: domain.StatusRejected},
		{name: "unknown problem", given: stageReturnInTransit, when: step{3 * h, merchant, domain.ConfirmReceipt{Problem: "smelly"}}, wantErr: domain.ErrInvalidCommand},
		{name: "issue refund", given: stageAwaitingRefund, when: step{31 * h, merchant, domain.IssueRefund{}},
			want: []string{events.TypeRefundIssued}, wantState: domain.StatusClosed},
		{name: "refund above paid", given: stageAwaitingRefund, when: step{31 * h, merchant, domain.IssueRefund{Amount: 19901}}, wantErr: domain.ErrAmountExceedsPaid},
		{name: "refund a return before receipt", given: stageReturnInTransit, when: step{3 * h, merchant, domain.IssueRefund{}}, wantErr: domain.ErrWrongState},

		// Exchange.
		{name: "receipt of an exchange awaits reship", given: exchangeReship[:3], when: exchangeReship[3],
			want: []string{events.TypeReturnReceived}, wantState: domain.StatusAwaitingReship},
		{name: "ship replacement", given: exchangeReship, when: step{4 * h, merchant, domain.ShipReplacement{Shipment: ship}},
			want: []string{events.TypeReplacementShipped}, wantState: domain.StatusReplacementInTransit},
		{name: "buyer escalates an overdue reship", given: append(exchangeReship[:4:4], step{76 * h, system, domain.ExpireDeadline{Deadline: events.DeadlineMerchantReship}}),
			when: step{77 * h, buyer, domain.RequestIntervention{}}, want: []string{events.TypeInterventionRequested}},
		{name: "confirm replacement", given: append(exchangeReship[:4:4], step{4 * h, merchant, domain.ShipReplacement{Shipment: ship}}),
			when: step{5 * h, buyer, domain.ConfirmReplacement{}}, want: []string{events.TypeReplacementConfirmed}, wantState: domain.StatusClosed},

		// Intervention lock and negotiation.
		{name: "locked merchant cannot refund", given: stageNegotiation, when: step{4 * h, merchant, domain.IssueRefund{}}, wantErr: domain.ErrTicketLocked},
		{name: "locked merchant cannot offer", given: stageNegotiation, when: step{4 * h, merchant, domain.MakeOffer{Kind: events.OfferReplacement}}, wantErr: domain.ErrTicketLocked},
		{name: "locked merchant may talk", given: stageNegotiation, when: step{4 * h, merchant, domain.PostMessage{Text: "明天下午三点前寄出"}},
			want: []string{events.TypeMessagePosted}},
		{name: "buyer marks resolved in the window", given: stageNegotiation, when: step{4 * h, buyer, domain.MarkResolved{}},
			want: []string{events.TypeMarkedResolved}, wantState: domain.StatusClosed},
		{name: "mark resolved after the window", given: stageAwaitingEvidence, when: step{28 * h, buyer, domain.MarkResolved{}}, wantErr: domain.ErrWrongState},
		{name: "agent requests evidence early", given: stageNegotiation, when: step{4 * h, agent, domain.RequestEvidence{}},
			want: []string{events.TypeEvidenceRequested}, wantState: domain.StatusAwaitingEvidence},
		{name: "buyer cannot request evidence", given: stageNegotiation, when: step{4 * h, buyer, domain.RequestEvidence{}}, wantErr: domain.ErrRoleNotAllowed},

		// Evidence.
		{name: "merchant submits evidence", given: stageAwaitingEvidence, when: step{28 * h, merchant, domain.SubmitEvidence{Items: []events.EvidenceItem{evidenceItem("e1")}}},
			want: []string{events.TypeEvidenceSubmitted}},
		{name: "evidence with a bad hash", given: stageAwaitingEvidence, when: step{28 * h, merchant, domain.SubmitEvidence{Items: []events.EvidenceItem{{ID: "e1", Kind: "photo", URI: "x", SHA256: "zz"}}}},
			wantErr: domain.ErrInvalidCommand},
		{name: "evidence id reused", given: stageUnderReview, when: step{61 * h, buyer, domain.SubmitEvidence{Items: []events.EvidenceItem{evidenceItem("ev-m1")}}},
			wantErr: domain.ErrInvalidCommand},
		{name: "agent cannot submit evidence", given: stageAwaitingEvidence, when: step{28 * h, agent, domain.SubmitEvidence{Items: []events.EvidenceItem{evidenceItem("e1")}}},
			wantErr: domain.ErrRoleNotAllowed},

		// Ruling.
		{name: "rule", given: stageUnderReview, when: step{61 * h, arbitrator, domain.Rule{Terms: counterfeit, Rationale: "fake", Evidence: []string{"ev-b1"}}},
			want: []string{events.TypeRulingRecorded}, wantState: domain.StatusRuled},
		{name: "rule before review", given: stageAwaitingEvidence, when: step{28 * h, arbitrator, domain.Rule{Terms: counterfeit, Rationale: "fake"}}, wantErr: domain.ErrWrongState},
		{name: "rule citing missing evidence", given: stageUnderReview, when: step{61 * h, arbitrator, domain.Rule{Terms: counterfeit, Rationale: "fake", Evidence: []string{"ev-x"}}},
			wantErr: domain.ErrEvidenceNotFound},
		{name: "counterfeit compensation not 10x", given: stageUnderReview, when: step{61 * h, arbitrator, domain.Rule{Terms: events.Terms{
			Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant, Refund: 19900, Compensation: 1000, Counterfeit: true}, Rationale: "fake"}},
			wantErr: domain.ErrRulingTerms},
		{name: "compensation without counterfeit", given: stageUnderReview, when: step{61 * h, arbitrator, domain.Rule{Terms: events.Terms{
			Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant, Refund: 100, Compensation: 1000}, Rationale: "x"}},
			wantErr: domain.ErrRulingTerms},
		{name: "ruling refund above paid", given: stageUnderReview, when: step{61 * h, arbitrator, domain.Rule{Terms: events.Terms{
			Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant, Refund: 20000}, Rationale: "x"}},
			wantErr: domain.ErrAmountExceedsPaid},
		{name: "merchant-favoured with refund", given: stageUnderReview, when: step{61 * h, arbitrator, domain.Rule{Terms: events.Terms{
			Outcome: events.OutcomeMerchantFavoured, Liability: events.LiabilityBuyer, Refund: 100}, Rationale: "x"}},
			wantErr: domain.ErrRulingTerms},
		{name: "agent cannot rule", given: stageUnderReview, when: step{61 * h, agent, domain.Rule{Terms: counterfeit, Rationale: "x"}}, wantErr: domain.ErrRoleNotAllowed},
		{name: "withdraw after ruling", given: stageRuled, when: step{62 * h, buyer, domain.Withdraw{}}, wantErr: domain.ErrWrongState},

		// Appeal.
		{name: "appeal", given: stageRuled, when: step{62 * h, merchant, domain.FileAppeal{Grounds: "g"}},
			want: []string{events.TypeAppealFiled}, wantState: domain.StatusUnderAppeal},
		{name: "appeal after the window", given: stageRuled, when: step{61*h + 7*24*h + time.Minute, merchant, domain.FileAppeal{Grounds: "g"}},
			wantErr: domain.ErrWindowClosed},
		{name: "second appeal", given: stageUnderAppeal, when: step{63 * h, buyer, domain.FileAppeal{Grounds: "g"}}, wantErr: domain.ErrAlreadyAppealed},
		{name: "ruling arbitrator decides own appeal", given: stageUnderAppeal, when: step{63 * h, seniorArb1, domain.DecideAppeal{Decision: events.AppealUpheld, Rationale: "r"}},
			wantErr: domain.ErrSameArbitrator},
		{name: "arbitrator cannot decide appeal", given: stageUnderAppeal, when: step{63 * h, arbitrator, domain.DecideAppeal{Decision: events.AppealUpheld, Rationale: "r"}},
			wantErr: domain.ErrRoleNotAllowed},
		{name: "appeal upheld", given: stageUnderAppeal, when: step{63 * h, senior, domain.DecideAppeal{Decision: events.AppealUpheld, Rationale: "r"}},
			want: []string{events.TypeAppealDecided, events.TypeRulingFinalized}, wantState: domain.StatusClosed},
		{name: "appeal overturned needs terms", given: stageUnderAppeal, when: step{63 * h, senior, domain.DecideAppeal{Decision: events.AppealOverturned, Rationale: "r"}},
			wantErr: domain.ErrInvalidCommand},
		{name: "appeal overturned", given: stageUnderAppeal, when: step{63 * h, senior, domain.DecideAppeal{Decision: events.AppealOverturned, Rationale: "r",
			Terms: &events.Terms{Outcome: events.OutcomeMerchantFavoured, Liability: events.LiabilityNone}}},
			want: []string{events.TypeAppealDecided, events.TypeRulingFinalized}, wantState: domain.StatusClosed},

		// Closed tickets refuse everything.
		{name: "closed refuses buyer", given: stageWithdrawn, when: step{2 * h, buyer, domain.PostMessage{Text: "hi"}}, wantErr: domain.ErrTicketClosed},
		{name: "closed refuses merchant", given: stageWithdrawn, when: step{2 * h, merchant, domain.Agree{ReturnAddress: "A"}}, wantErr: domain.ErrTicketClosed},
		{name: "closed refuses system", given: stageWithdrawn, when: step{100 * h, system, domain.ExpireDeadline{Deadline: events.DeadlineMerchantResponse}}, wantErr: domain.ErrTicketClosed},

		// Auditors and the system.
		{name: "auditor cannot write", given: stageAwaitingMerchant, when: step{h, auditor, domain.PostMessage{Text: "hi"}}, wantErr: domain.ErrRoleNotAllowed},
		{name: "system cannot agree", given: stageAwaitingMerchant, when: step{h, system, domain.Agree{ReturnAddress: "A"}}, wantErr: domain.ErrRoleNotAllowed},
		{name: "buyer cannot fire deadlines", given: stageAwaitingMerchant, when: step{100 * h, buyer, domain.ExpireDeadline{Deadline: events.DeadlineMerchantResponse}}, wantErr: domain.ErrRoleNotAllowed},
		{name: "no ticket", when: step{0, merchant, domain.Agree{}}, wantErr: domain.ErrTicketNotFound},
		{name: "invalid actor", when: step{0, events.Actor{Role: "king", ID: "k"}, domain.Agree{}}, wantErr: domain.ErrInvalidCommand},
		{name: "nil command", when: step{0, buyer, nil}, wantErr: domain.ErrInvalidCommand},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := newLedger(t).given(tc.given...)
			before := l.ticket
			got, err := l.do(tc.when)
			if tc.wantErr != nil {
				require.Error(t, err)
				assert.Truef(t, errors.Is(err, tc.wantErr), "error %q is not %q", err, tc.wantErr)
				assert.Equal(t, before, l.ticket, "a refused command changes nothing")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, types(got))
			if tc.wantState != "" {
				assert.Equal(t, tc.wantState, l.ticket.Status)
			}
		})
	}
}

func noReason(at time.Duration) step {
	s := open(events.KindReturnRefund)
	c := s.cmd.(domain.OpenTicket)
	c.Reason = events.ReasonNoReason
	d := t0 // delivered Monday 10:00 Shanghai: returnable until Monday a week later, 23:59:59
	c.DeliveredAt = &d
	s.cmd, s.at = c, at
	return s
}

// A request missing several of its names is refused for the first of them
// in the command's order, every time: an auditor's report of it, which
// quotes the refusal, must not change from one run to the next.
func TestOpenMissingNamesIsRefusedForTheFirst(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cmd   domain.OpenTicket
		field string
	}{
		{"all three", domain.OpenTicket{}, "ticket_id"},
		{"order and merchant", domain.OpenTicket{TicketID: "T-1"}, "order_id"},
		{"merchant", domain.OpenTicket{TicketID: "T-1", OrderID: " "}, "order_id"},
		{"merchant alone", domain.OpenTicket{TicketID: "T-1", OrderID: "O-1"}, "merchant_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 20 { // a map's order would show within a few runs
				_, err := domain.Decide(domain.Ticket{}, buyer, tc.cmd, t0, policy.Default())
				require.ErrorIs(t, err, domain.ErrInvalidCommand)
				assert.Contains(t, err.Error(), tc.field+" is required")
			}
		})
	}
}
