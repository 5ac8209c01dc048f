package domain

import (
	"maps"
	"slices"
	"time"

	"github.com/disputes-ledger/disputes/events"
)

// Replay folds a stream's events, in order, into a ticket.
func Replay(envs []events.Envelope) Ticket {
	var t Ticket
	for _, env := range envs {
		t = t.Apply(env)
	}
	return t
}

// Apply returns the state after env. It never fails: recorded events were
// validated when decided, and an applier that second-guessed them would make
// history unreadable.
func (before Ticket) Apply(env events.Envelope) Ticket {
	// before is a shallow copy: its maps, slices and pointers are shared with
	// the state it came from, so every change copies before it writes (see
	// ownDeadlines, ownEvidence, ownRuling) and earlier states stay as they were.
	t := folding{Ticket: &before}
	t.apply(env)
	return before
}

// Fold is Apply in place: it sets *t to t.Apply(env) without copying the
// ticket, its deadline map or its evidence, which it writes into. So t must
// be a ticket no other Ticket shares a map or slice with: one folded from
// the zero Ticket by Fold alone, never a copy of another ticket (Apply's
// results share with the states they came from). It is for a reader that
// keeps one state per ticket and folds every event into it, such as the
// auditor's replay, where copying on every event would cost more than the
// rules do.
func (t *Ticket) Fold(env events.Envelope) {
	f := folding{Ticket: t, ownsDeadlines: true, ownsEvidence: true}
	f.apply(env)
}

// Reuse empties t for Fold to fold another ticket from its first event,
// keeping the deadline map, the evidence map and the evidence order's array
// that Fold gave it, emptied: a reader that folds many tickets one after
// another (the auditor's replay) then allocates them once, not once per
// ticket. It is Fold's counterpart and holds Fold's condition: t shares no
// map or slice with another Ticket. The result folds exactly as the zero
// Ticket does; it differs from it only in holding empty maps where the zero
// Ticket holds nil ones, which no rule tells apart.
func (t *Ticket) Reuse() {
	deadlines, evidence, order := t.Deadlines, t.Evidence, t.EvidenceOrder[:0]
	clear(deadlines)
	clear(evidence)
	clear(t.EvidenceOrder) // let go of the old ids the array still holds
	*t = Ticket{Deadlines: deadlines, Evidence: evidence, EvidenceOrder: order}
}

// apply changes t to the state after env.
func (t *folding) apply(env events.Envelope) {
	// An expiry, and what its command recorded after it, take effect at the
	// deadline's due time, not when it was fired (events.ExpiryEffect).
	at := t.Effect.At(env)
	t.Effect = t.Effect.After(env)
	t.Revision, t.Events, t.LastHash, t.UpdatedAt = env.Revision, t.Events+1, env.Hash, at
	if env.Actor.Role == events.RoleMerchant && t.FirstResponseAt == nil {
		t.FirstResponseAt = timePtr(at)
	}

	switch e := env.Payload.(type) {
	case events.RefundRequested:
		t.ID, t.OrderID, t.BuyerID, t.MerchantID = e.TicketID, e.OrderID, e.BuyerID, e.MerchantID
		t.Kind, t.Reason, t.Currency = e.Kind, e.Reason, e.Currency
		t.AmountPaid, t.Requested, t.Description = e.AmountPaid, e.Requested, e.Description
		t.OrderShipped, t.DeliveredAt = e.OrderShipped, e.DeliveredAt
		t.OpenedAt, t.Status = at, StatusAwaitingMerchant
		// An order never shipped is grounds for intervention straight away.
		t.BuyerMayEscalate = !e.OrderShipped
		t.startDeadlines(e.Schedule)
	case events.RequestRevised:
		t.Requested, t.Description = e.Requested, e.Description
		t.Status, t.Offer = StatusAwaitingMerchant, nil
		t.BuyerMayEscalate, t.MerchantMayEscalate = !t.OrderShipped, false
		t.clearDeadlines(events.DeadlineBuyerEscalation)
		t.startDeadlines(e.Schedule)
	case events.MerchantAgreed:
		t.clearDeadlines(events.DeadlineMerchantResponse)
		if t.Kind != events.KindRefundOnly {
			t.Status, t.ReturnStatus, t.ReturnAddress = StatusAwaitingReturn, ReturnAwaiting, e.ReturnAddress
		}
		t.startDeadlines(e.Schedule)
	case events.MerchantRejected:
		t.clearDeadlines(events.DeadlineMerchantResponse)
		t.Status, t.BuyerMayEscalate = StatusRejected, true
		t.startDeadlines(e.Schedule)
	case events.OfferMade:
		t.clearDeadlines(events.DeadlineMerchantResponse)
		t.Status, t.Offer = StatusOfferPending, &Offer{Kind: e.Kind, Amount: e.Amount}
		t.startDeadlines(e.Schedule)
	case events.OfferAccepted:
		if e.Kind == events.OfferPartialRefund {
			t.Refunded += e.Amount
		}
		t.close(at, ResolutionAgreed)
	case events.OfferDeclined:
		t.Status, t.Offer = StatusRejected, nil
		t.BuyerMayEscalate, t.MerchantMayEscalate = true, true
		t.startDeadlines(e.Schedule)
	case events.ReturnShipped:
		t.clearDeadlines(events.DeadlineReturnShipment)
		s := e.Shipment
		t.Status, t.ReturnStatus, t.ReturnShipment = StatusReturnInTransit, ReturnShipped, &s
		t.startDeadlines(e.Schedule)
	case events.ReturnReceived:
		t.clearDeadlines(events.DeadlineMerchantReceipt)
		lateArrival := t.ReturnStatus == ReturnNotReceived
		t.ReturnStatus = ReturnReceived
		if lateArrival && !t.Locked {
			// The parcel reported not received arrived after all: the
			// rejection that report made is withdrawn with it.
			t.clearDeadlines(events.DeadlineBuyerEscalation)
			t.BuyerMayEscalate = false
		}
		if !t.Locked {
			if t.Kind == events.KindExchange {
				t.Status = StatusAwaitingReship
			} else {
				t.Status = StatusAwaitingRefund
			}
			t.startDeadlines(e.Schedule)
		}
	case events.ReturnProblemReported:
		t.clearDeadlines(events.DeadlineMerchantReceipt)
		t.ReturnStatus = ReturnProblem
		if e.Problem == events.ProblemNotReceived {
			t.ReturnStatus = ReturnNotReceived
		}
		if !t.Locked {
			t.Status, t.BuyerMayEscalate = StatusRejected, true
			t.startDeadlines(e.Schedule)
		}
	case events.ReplacementShipped:
		t.clearDeadlines(events.DeadlineMerchantReship)
		s := e.Shipment
		t.Status, t.Replacement, t.BuyerMayEscalate = StatusReplacementInTransit, &s, false
		t.startDeadlines(e.Schedule)
	case events.ReplacementConfirmed:
		t.close(at, ResolutionExchanged)
	case events.RefundIssued:
		t.Refunded += e.Amount
		t.close(at, ResolutionRefunded)
	case events.InterventionRequested:
		t.endDeadlines()
		t.Status, t.Locked, t.Offer = StatusNegotiation, true, nil
		t.BuyerMayEscalate, t.MerchantMayEscalate = false, false
		t.InterventionBy, t.InterventionAt = e.By, timePtr(at)
		t.startDeadlines(e.Schedule)
	case events.EvidenceRequested:
		t.clearDeadlines(events.DeadlineNegotiation)
		t.Status = StatusAwaitingEvidence
		t.startDeadlines(e.Schedule)
	case events.EvidenceSubmitted:
		t.ownEvidence()
		for _, item := range e.Items {
			t.Evidence[item.ID] = Evidence{EvidenceItem: item, Party: e.Party, RecordedAt: at, Late: e.Late}
			t.EvidenceOrder = append(t.EvidenceOrder, item.ID)
		}
		if e.Party == events.RoleMerchant && !e.Late {
			t.MerchantEvidenceInWindow = true
		}
	case events.MarkedResolved:
		t.Liability = events.LiabilityNone
		t.close(at, ResolutionResolved)
	case events.RulingRecorded:
		t.clearDeadlines(events.DeadlineRulingSLA)
		t.Status = StatusRuled
		t.Ruling = &Ruling{
			ArbitratorID: env.Actor.ID, RecordedAt: at, Terms: e.Terms,
			Evidence: append([]string(nil), e.Evidence...), Late: e.Late, PolicyVersion: e.PolicyVersion,
		}
		t.startDeadlines(e.Schedule)
	case events.AppealFiled:
		t.clearDeadlines(events.DeadlineAppeal)
		t.Status = StatusUnderAppeal
		if t.Ruling != nil {
			t.ownRuling()
			t.Ruling.Appeal = &Appeal{Party: e.Party, Grounds: e.Grounds, FiledAt: at}
		}
	case events.AppealDecided:
		if t.Ruling != nil && t.Ruling.Appeal != nil {
			t.ownRuling()
			t.Ruling.Appeal.Decision, t.Ruling.Appeal.DecidedBy = e.Decision, env.Actor.ID
			if e.Terms != nil {
				terms := *e.Terms
				t.Ruling.Appeal.Terms = &terms
			}
		}
	case events.RulingFinalized:
		t.Refunded += e.Refund
		t.Compensation += e.Compensation
		t.Liability = e.Liability
		t.close(at, ResolutionRuled)
	case events.TicketWithdrawn:
		t.close(at, ResolutionWithdrawn)
	case events.TicketAbandoned:
		t.close(at, ResolutionAbandoned)
	case events.TicketExpired:
		t.close(at, ResolutionExpired)
	case events.MessagePosted:
		t.Messages++
		if e.VagueDeadline {
			t.VagueMessages++
		}
	case events.DeadlineExpired:
		t.clearDeadlines(e.Deadline)
		switch e.Deadline {
		case events.DeadlineMerchantReship:
			t.BuyerMayEscalate = true
		case events.DeadlineEvidence:
			t.Status, t.EvidenceWindowClosed = StatusUnderReview, true
		}
	case events.RulingSLABreached:
		t.SLABreached = true
	}
}

// folding is a ticket being changed by one Apply, which knows whether the
// deadline map and the evidence are already its own copies: an event that
// clears one deadline and starts another copies the map once, not twice,
// and Fold copies neither.
type folding struct {
	*Ticket
	ownsDeadlines, ownsEvidence bool
}

func (t *folding) startDeadlines(s events.Schedule) {
	if len(s.Deadlines) == 0 {
		return
	}
	t.ownDeadlines()
	for _, d := range s.Deadlines {
		// Keyed by the kind's constant: the map outlives the event, and
		// clearDeadlines' lookups then match by pointer (Canonical).
		kind, _ := d.Kind.Canonical()
		t.Deadlines[kind] = d.DueAt
	}
}

func (t *folding) clearDeadlines(kinds ...events.DeadlineKind) {
	for _, k := range kinds {
		if _, open := t.Deadlines[k]; open {
			t.ownDeadlines()
			delete(t.Deadlines, k)
		}
	}
}

// endDeadlines leaves t no open deadline, in an empty map of its own: the
// map emptied in place when t owns it (Fold's ticket keeps its map from
// ticket to ticket, see Reuse), a new one when an earlier state shares it.
func (t *folding) endDeadlines() {
	if t.ownsDeadlines && t.Deadlines != nil {
		clear(t.Deadlines)
		return
	}
	t.Deadlines, t.ownsDeadlines = map[events.DeadlineKind]time.Time{}, true
}

// ownDeadlines gives t a deadline map of its own before it is written.
func (t *folding) ownDeadlines() {
	if t.ownsDeadlines {
		if t.Deadlines == nil {
			t.Deadlines = map[events.DeadlineKind]time.Time{}
		}
		return
	}
	d := make(map[events.DeadlineKind]time.Time, len(t.Deadlines)+2)
	maps.Copy(d, t.Deadlines)
	t.Deadlines, t.ownsDeadlines = d, true
}

// ownEvidence gives t an evidence map and order of its own before they are
// written: append must not write into an array an earlier state shares.
func (t *folding) ownEvidence() {
	if !t.ownsEvidence {
		t.Evidence = maps.Clone(t.Evidence)
		t.EvidenceOrder = slices.Clip(t.EvidenceOrder)
		t.ownsEvidence = true
	}
	if t.Evidence == nil {
		t.Evidence = map[string]Evidence{}
	}
}

// ownRuling gives t a ruling (and appeal) of its own before it is written.
func (t *Ticket) ownRuling() {
	r := *t.Ruling
	if r.Appeal != nil {
		a := *r.Appeal
		r.Appeal = &a
	}
	t.Ruling = &r
}

func (t *folding) close(at time.Time, r Resolution) {
	t.Status, t.Resolution, t.ClosedAt, t.Locked = StatusClosed, r, &at, false
	t.Offer = nil
	t.endDeadlines()
}

// timePtr returns a pointer to a copy of at. Taking at's own address would
// move it to the heap on every Apply, not only when a pointer is kept.
func timePtr(at time.Time) *time.Time { return &at }

// Closes reports whether an event with this payload closes its ticket:
// Apply closes the ticket on every such event, whatever the state before,
// and on no other. A reader that keeps less than the ticket (a read model
// of some of its fields) can tell from it that no further event will come.
func Closes(payload events.Payload) bool {
	switch payload.(type) {
	case events.OfferAccepted, events.ReplacementConfirmed, events.RefundIssued, events.MarkedResolved,
		events.RulingFinalized, events.TicketWithdrawn, events.TicketAbandoned, events.TicketExpired:
		return true
	}
	return false
}
