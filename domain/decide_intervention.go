package domain

import (
	"fmt"
	"strings"

	"github.com/disputes-ledger/disputes/events"
)

func (d *decision) requestIntervention(c RequestIntervention) ([]events.Payload, error) {
	if d.t.Locked {
		return nil, refuse(ErrWrongState, "the platform is already intervening")
	}
	if err := d.requireStatus("request intervention", beforeRuling()...); err != nil {
		return nil, err
	}
	grounds := d.t.BuyerMayEscalate
	if d.actor.Role == events.RoleMerchant {
		grounds = d.t.MerchantMayEscalate
	}
	if !grounds {
		return nil, refuse(ErrEscalationNotAllowed, "%s has no grounds: the other side has not rejected, timed out or failed to agree", d.actor.Role)
	}
	return one(events.InterventionRequested{By: d.actor.Role, Reason: c.Reason,
		Schedule: d.schedule(events.DeadlineNegotiation, events.DeadlineRulingSLA)})
}

func (d *decision) requestEvidence(c RequestEvidence) ([]events.Payload, error) {
	if err := d.requireStatus("request evidence", StatusNegotiation); err != nil {
		return nil, err
	}
	return one(events.EvidenceRequested{Note: c.Note, Schedule: d.schedule(events.DeadlineEvidence)})
}

func (d *decision) submitEvidence(c SubmitEvidence) ([]events.Payload, error) {
	if err := d.requireStatus("submit evidence", StatusNegotiation, StatusAwaitingEvidence, StatusUnderReview); err != nil {
		return nil, err
	}
	if len(c.Items) == 0 {
		return nil, invalid("items", "at least one evidence item is required")
	}
	seen := map[string]bool{}
	for i, item := range c.Items {
		if err := validEvidence(item); err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		if _, dup := d.t.Evidence[item.ID]; dup || seen[item.ID] {
			return nil, invalid("items", fmt.Sprintf("evidence id %q is already on record", item.ID))
		}
		seen[item.ID] = true
	}
	late := d.t.EvidenceWindowClosed
	if due, ok := d.t.Deadlines[events.DeadlineEvidence]; ok && d.now.After(due) {
		late = true
	}
	return one(events.EvidenceSubmitted{Party: d.actor.Role, Items: c.Items, Late: late})
}

func validEvidence(item events.EvidenceItem) error {
	if strings.TrimSpace(item.ID) == "" {
		return invalid("id", "is required")
	}
	if strings.TrimSpace(item.Kind) == "" {
		return invalid("kind", "is required")
	}
	if strings.TrimSpace(item.URI) == "" {
		return invalid("uri", "is required")
	}
	if len(item.SHA256) != 64 || strings.Trim(strings.ToLower(item.SHA256), "0123456789abcdef") != "" {
		return invalid("sha256", "must be 64 hex digits")
	}
	return nil
}

func (d *decision) markResolved(c MarkResolved) ([]events.Payload, error) {
	if err := d.requireStatus("mark resolved", StatusNegotiation); err != nil {
		return nil, err
	}
	return one(events.MarkedResolved{Note: c.Note})
}

func (d *decision) rule(c Rule) ([]events.Payload, error) {
	if err := d.requireStatus("rule", StatusUnderReview); err != nil {
		return nil, err
	}
	if strings.TrimSpace(c.Rationale) == "" {
		return nil, invalid("rationale", "is required")
	}
	for _, id := range c.Evidence {
		ev, ok := d.t.Evidence[id]
		if !ok {
			return nil, refuse(ErrEvidenceNotFound, "evidence %q", id)
		}
		if ev.RecordedAt.After(d.now) {
			return nil, refuse(ErrEvidenceNotFound, "evidence %q recorded after the ruling", id)
		}
	}
	if err := d.checkTerms(c.Terms); err != nil {
		return nil, err
	}
	late := d.t.SLABreached
	if due, ok := d.t.Deadlines[events.DeadlineRulingSLA]; ok && d.now.After(due) {
		late = true // due but not yet fired by the scheduler: still a breach
	}
	return one(events.RulingRecorded{Terms: c.Terms, Rationale: c.Rationale, Evidence: c.Evidence,
		Late: late, Schedule: d.schedule(events.DeadlineAppeal)})
}

// checkTerms enforces the money rules of a ruling: refunds within what was
// paid, compensation only for counterfeits and then exactly the multiple.
func (d *decision) checkTerms(terms events.Terms) error {
	return CheckTerms(d.t, terms, d.pol.CompensationMultiple)
}

// CheckTerms reports whether terms may be ruled on t under a compensation
// multiple. Decide calls it for rulings and overturned appeals; auditors
// reach it only through CheckDecision.
func CheckTerms(t Ticket, terms events.Terms, multiple int64) error {
	switch terms.Outcome {
	case events.OutcomeBuyerFavoured, events.OutcomePartiallyFavored, events.OutcomeMerchantFavoured:
	default:
		return invalid("outcome", fmt.Sprintf("%q is not a known outcome", terms.Outcome))
	}
	switch terms.Liability {
	case events.LiabilityMerchant, events.LiabilityBuyer, events.LiabilityShared, events.LiabilityNone:
	default:
		return invalid("liability", fmt.Sprintf("%q is not a known liability", terms.Liability))
	}
	if terms.Refund < 0 || terms.Compensation < 0 {
		return invalid("refund", "amounts must not be negative")
	}
	total, err := addAmounts(terms.Refund, t.Refunded)
	if err != nil {
		return err
	}
	if total > t.AmountPaid {
		return refuse(ErrAmountExceedsPaid, "refund %d with %d already refunded, paid %d", terms.Refund, t.Refunded, t.AmountPaid)
	}
	if terms.Outcome == events.OutcomeMerchantFavoured && (terms.Refund > 0 || terms.Compensation > 0 || terms.Liability == events.LiabilityMerchant) {
		return refuse(ErrRulingTerms, "a merchant-favoured ruling orders no refund or compensation and no merchant liability")
	}
	if terms.Counterfeit {
		if terms.Liability != events.LiabilityMerchant {
			return refuse(ErrRulingTerms, "a counterfeit ruling holds the merchant liable")
		}
		want, err := mulAmount(t.AmountPaid, multiple)
		if err != nil {
			return fmt.Errorf("counterfeit compensation of %d× the price paid: %w", multiple, err)
		}
		if terms.Compensation != want {
			return refuse(ErrRulingTerms, "counterfeit compensation must be %d× the price paid: %d, not %d", multiple, want, terms.Compensation)
		}
	} else if terms.Compensation != 0 {
		return refuse(ErrRulingTerms, "compensation is due only for counterfeit goods")
	}
	return nil
}

func (d *decision) fileAppeal(c FileAppeal) ([]events.Payload, error) {
	if d.t.Ruling != nil && d.t.Ruling.Appeal != nil {
		return nil, refuse(ErrAlreadyAppealed, "appealed by %s on %s", d.t.Ruling.Appeal.Party, d.t.Ruling.Appeal.FiledAt.Format("2006-01-02"))
	}
	if err := d.requireStatus("appeal", StatusRuled); err != nil {
		return nil, err
	}
	if due, ok := d.t.Deadlines[events.DeadlineAppeal]; !ok || d.now.After(due) {
		return nil, refuse(ErrWindowClosed, "the appeal window ended %s", due.Format("2006-01-02 15:04 MST"))
	}
	if strings.TrimSpace(c.Grounds) == "" {
		return nil, invalid("grounds", "are required")
	}
	return one(events.AppealFiled{Party: d.actor.Role, Grounds: c.Grounds})
}

func (d *decision) decideAppeal(c DecideAppeal) ([]events.Payload, error) {
	if err := d.requireStatus("decide an appeal", StatusUnderAppeal); err != nil {
		return nil, err
	}
	if d.t.Ruling == nil {
		// Only a history with its ruling removed gets here: the auditor's
		// replay of a tampered log decides it again (CheckDecision).
		return nil, refuse(ErrWrongState, "no ruling is on record to decide an appeal of")
	}
	if d.actor.ID == d.t.Ruling.ArbitratorID {
		return nil, refuse(ErrSameArbitrator, "%s made the ruling", d.actor.ID)
	}
	if strings.TrimSpace(c.Rationale) == "" {
		return nil, invalid("rationale", "is required")
	}
	final := d.t.Ruling.Terms
	switch c.Decision {
	case events.AppealUpheld:
		if c.Terms != nil {
			return nil, invalid("terms", "an upheld ruling keeps its terms")
		}
	case events.AppealOverturned:
		if c.Terms == nil {
			return nil, invalid("terms", "an overturned ruling needs new terms")
		}
		if err := d.checkTerms(*c.Terms); err != nil {
			return nil, err
		}
		final = *c.Terms
	default:
		return nil, invalid("decision", fmt.Sprintf("%q is not upheld or overturned", c.Decision))
	}
	return []events.Payload{
		events.AppealDecided{Decision: c.Decision, Rationale: c.Rationale, Terms: c.Terms,
			PolicyVersion: d.pol.Version, PolicySHA256: d.pol.SHA256()},
		events.RulingFinalized{Terms: final},
	}, nil
}
