package policy

import (
	"errors"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/events"
)

// PenaltyReason is why a merchant earned penalty points (docs/domain.md,
// "Merchant penalty score").
type PenaltyReason string

// The penalty reasons.
const (
	ReasonMerchantResponseExpired PenaltyReason = "merchant_response_expired"
	ReasonMerchantReshipExpired   PenaltyReason = "merchant_reship_expired"
	ReasonMerchantRefundExpired   PenaltyReason = "merchant_refund_expired"
	ReasonNoEvidence              PenaltyReason = "no_evidence"
	ReasonMerchantLiability       PenaltyReason = "merchant_liability"
	ReasonSharedLiability         PenaltyReason = "shared_liability"
	ReasonCounterfeit             PenaltyReason = "counterfeit"
	ReasonVagueMessage            PenaltyReason = "vague_message"
)

// PenaltyFact is something recorded on a ticket that the penalty rules may
// score: read it off an event with DeadlineMissed, VagueMessage or Ruled.
type PenaltyFact struct {
	kind     penaltyFactKind
	deadline events.DeadlineKind
	terms    events.Terms
}

type penaltyFactKind int

const (
	factDeadlineMissed penaltyFactKind = iota + 1
	factVagueMessage
	factRuling
)

// DeadlineMissed is the fact of a deadline of kind expiring with the
// merchant penalised for it (events.DeadlineExpired.MerchantPenalised, which
// the domain records from MerchantMissed).
func DeadlineMissed(kind events.DeadlineKind) PenaltyFact {
	return PenaltyFact{kind: factDeadlineMissed, deadline: kind}
}

// merchantDeadline is a deadline the merchant must meet: its expiry is the
// merchant's fault, and earns the reason and the points it names.
type merchantDeadline struct {
	reason PenaltyReason
	points func(Penalties) int
}

// merchantDeadlines is the one table of the deadlines whose expiry penalises
// the merchant (docs/domain.md, "Merchant penalty score"): the domain's
// merchant_penalised flag (MerchantMissed) and the points (PointsFor) are
// both read from it, so a deadline added here is flagged and scored alike.
var merchantDeadlines = map[events.DeadlineKind]merchantDeadline{
	events.DeadlineMerchantResponse: {ReasonMerchantResponseExpired, func(p Penalties) int { return p.MerchantResponseExpired }},
	events.DeadlineMerchantReship:   {ReasonMerchantReshipExpired, func(p Penalties) int { return p.ReshipOrRefundExpired }},
	events.DeadlineMerchantRefund:   {ReasonMerchantRefundExpired, func(p Penalties) int { return p.ReshipOrRefundExpired }},
	events.DeadlineEvidence:         {ReasonNoEvidence, func(p Penalties) int { return p.NoEvidence }},
}

// MerchantMissed reports whether the expiry of a deadline of kind penalises
// the merchant: a deadline of the merchant's (merchantDeadlines), except the
// evidence window when the merchant sent evidence within it
// (merchantEvidenceInWindow, which only the evidence window reads). The
// domain records it as events.DeadlineExpired.MerchantPenalised.
func MerchantMissed(kind events.DeadlineKind, merchantEvidenceInWindow bool) bool {
	if _, theirs := merchantDeadlines[kind]; !theirs {
		return false
	}
	return kind != events.DeadlineEvidence || !merchantEvidenceInWindow
}

// VagueMessage is the fact of the merchant posting a message that promises
// no concrete time (events.MessagePosted.VagueDeadline).
func VagueMessage() PenaltyFact { return PenaltyFact{kind: factVagueMessage} }

// Ruled is the fact of a ruling with terms t, recorded or put in place of
// an overturned ruling on appeal.
func Ruled(t events.Terms) PenaltyFact { return PenaltyFact{kind: factRuling, terms: t} }

// FactOf returns the penalty fact a recorded event is, and false for an
// event that is none. It is the one place that says which event the rules
// may score: a deadline expiry the domain recorded as the merchant's fault
// (MerchantMissed), a merchant's vague-deadline message, a ruling, and the
// terms an appeal decision puts in place of a ruling it overturns (whose
// own points ReversesRuling takes back).
func FactOf(p events.Payload) (PenaltyFact, bool) {
	switch e := p.(type) {
	case events.DeadlineExpired:
		return DeadlineMissed(e.Deadline), e.MerchantPenalised
	case events.MessagePosted:
		return VagueMessage(), e.VagueDeadline && e.Party == events.RoleMerchant
	case events.RulingRecorded:
		return Ruled(e.Terms), true
	case events.AppealDecided:
		if ReversesRuling(e.Decision) && e.Terms != nil {
			return Ruled(*e.Terms), true
		}
	}
	return PenaltyFact{}, false
}

// ErrNoPenaltyPoints is returned (wrapped) by PointsFor for a fact the
// policy has no points for, such as a merchant penalised for a deadline
// kind without a row in the penalty table: refused rather than guessed.
var ErrNoPenaltyPoints = errors.New("no penalty points for this fact")

// PointsFor returns the reason and points fact earns under p: 0 points for
// a fact that earns none (a ruling with buyer or no liability). A
// counterfeit ruling earns the counterfeit points in place of the
// liability points.
func (p Penalties) PointsFor(fact PenaltyFact) (PenaltyReason, int, error) {
	switch fact.kind {
	case factDeadlineMissed:
		if d, ok := merchantDeadlines[fact.deadline]; ok {
			return d.reason, d.points(p), nil
		}
		return "", 0, fmt.Errorf("%w: the merchant was penalised for deadline %q", ErrNoPenaltyPoints, fact.deadline)
	case factVagueMessage:
		return ReasonVagueMessage, p.VagueMessage, nil
	case factRuling:
		switch t := fact.terms; {
		case t.Counterfeit:
			return ReasonCounterfeit, p.Counterfeit, nil
		case t.Liability == events.LiabilityMerchant:
			return ReasonMerchantLiability, p.MerchantLiability, nil
		case t.Liability == events.LiabilityShared:
			return ReasonSharedLiability, p.SharedLiability, nil
		}
		return "", 0, nil
	}
	return "", 0, fmt.Errorf("%w: empty fact", ErrNoPenaltyPoints)
}

// ReversesRuling reports whether an appeal decision takes back the points
// of the ruling it decided on: an overturned ruling's points are reversed
// (at the decision), and the terms put in its place are a new fact.
func ReversesRuling(d events.AppealDecision) bool { return d == events.AppealOverturned }

// Window returns the length of the rolling score window.
func (p Penalties) Window() time.Duration { return time.Duration(p.WindowDays) * 24 * time.Hour }

// WindowStart returns the (exclusive) start of the score window that ends
// (inclusively) at end.
func (p Penalties) WindowStart(end time.Time) time.Time { return end.Add(-p.Window()) }

// ReviewFlagged reports whether a merchant with score is flagged for
// review: at or above the review threshold.
func (p Penalties) ReviewFlagged(score int) bool { return score >= p.ReviewThreshold }
