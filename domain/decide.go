package domain

import (
	"fmt"
	"slices"
	"time"

	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// Decide validates cmd from actor against the ticket at now, under pol, and
// returns the events that record it. It never changes t.
func Decide(t Ticket, actor events.Actor, cmd Command, now time.Time, pol policy.Policy) ([]events.Payload, error) {
	return decide(&t, actor, cmd, now, &pol)
}

// decide is Decide reading t and pol where they are, copied once into the
// decision rather than once more for each step (Decide's arguments,
// Authorize's, the decision's: some 900 bytes each time): CheckDecision
// runs it for every decision an auditor checks. It changes neither.
func decide(t *Ticket, actor events.Actor, cmd Command, now time.Time, pol *policy.Policy) ([]events.Payload, error) {
	if err := authorize(t, actor, cmd); err != nil {
		return nil, err
	}
	d := decision{t: *t, actor: actor, now: now.UTC(), pol: *pol}
	if open, ok := cmd.(OpenTicket); ok {
		return d.open(open)
	}
	if t.Closed() {
		return nil, refuse(ErrTicketClosed, "ticket %s closed as %s", t.ID, t.Resolution)
	}
	if t.Locked && actor.Role == events.RoleMerchant && lockedForMerchant(cmd) {
		return nil, refuse(ErrTicketLocked, "merchant may not %s after intervention", cmd.CommandName())
	}
	switch c := cmd.(type) {
	case ReviseRequest:
		return d.revise(c)
	case Withdraw:
		return d.withdraw(c)
	case Agree:
		return d.agree(c)
	case Reject:
		return d.reject(c)
	case MakeOffer:
		return d.makeOffer(c)
	case AcceptOffer:
		return d.acceptOffer()
	case DeclineOffer:
		return d.declineOffer(c)
	case ShipReturn:
		return d.shipReturn(c)
	case ConfirmReceipt:
		return d.confirmReceipt(c)
	case IssueRefund:
		return d.issueRefund(c)
	case ShipReplacement:
		return d.shipReplacement(c)
	case ConfirmReplacement:
		return d.confirmReplacement()
	case RequestIntervention:
		return d.requestIntervention(c)
	case RequestEvidence:
		return d.requestEvidence(c)
	case SubmitEvidence:
		return d.submitEvidence(c)
	case MarkResolved:
		return d.markResolved(c)
	case Rule:
		return d.rule(c)
	case FileAppeal:
		return d.fileAppeal(c)
	case DecideAppeal:
		return d.decideAppeal(c)
	case PostMessage:
		return d.postMessage(c)
	case ExpireDeadline:
		return d.expire(c)
	}
	return nil, invalid("command", fmt.Sprintf("%q is not a known command", cmd.CommandName()))
}

// lockedForMerchant lists what intervention takes out of the merchant's
// hands: the merchant may still confirm receipt, give evidence, appeal and talk.
func lockedForMerchant(cmd Command) bool {
	switch cmd.(type) {
	case Agree, Reject, MakeOffer, IssueRefund, ShipReplacement, RequestIntervention:
		return true
	}
	return false
}

// decision carries one Decide call's context. It holds its ticket and
// policy by value: as pointers they would escape, with the decision, into
// the payloads its methods build, and every Decide on the write path would
// allocate them.
type decision struct {
	t     Ticket
	actor events.Actor
	now   time.Time
	pol   policy.Policy
}

func (d *decision) schedule(kinds ...events.DeadlineKind) events.Schedule {
	return d.pol.Schedule(d.now, kinds...)
}

func (d *decision) requireStatus(cmd string, allowed ...Status) error {
	if slices.Contains(allowed, d.t.Status) {
		return nil
	}
	return refuse(ErrWrongState, "cannot %s while ticket is %s", cmd, d.t.Status)
}

func one(p events.Payload) ([]events.Payload, error) { return []events.Payload{p}, nil }
