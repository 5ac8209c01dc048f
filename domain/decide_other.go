package domain

import (
	"strings"

	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

func (d *decision) postMessage(c PostMessage) ([]events.Payload, error) {
	if strings.TrimSpace(c.Text) == "" {
		return nil, invalid("text", "is required")
	}
	var vague []string
	if d.actor.Role == events.RoleMerchant {
		vague = d.pol.VagueWordsIn(c.Text)
	}
	return one(events.MessagePosted{Party: d.actor.Role, Text: c.Text, VagueDeadline: len(vague) > 0,
		VagueWords: vague, PolicyVersion: d.pol.Version, PolicySHA256: d.pol.SHA256()})
}

// expire fires a due deadline and records what its expiry causes, in the
// same decision, so that the cause and its consequences commit together.
func (d *decision) expire(c ExpireDeadline) ([]events.Payload, error) {
	if !c.Deadline.Valid() {
		return nil, invalid("deadline", "is not a known deadline kind")
	}
	due, open := d.t.Deadlines[c.Deadline]
	if !open {
		return nil, refuse(ErrDeadlineNotOpen, "%s is not running on ticket %s", c.Deadline, d.t.ID)
	}
	if d.now.Before(due) {
		return nil, &DeadlineNotDueError{Kind: c.Deadline, DueAt: due, Now: d.now}
	}
	// The expiry takes effect at its due time however late it is fired:
	// what it causes is decided, and every deadline it starts counted, from
	// then, so that an outage of the scheduler shifts nothing.
	d.now = due
	fired := events.DeadlineExpired{Deadline: c.Deadline, DueAt: due,
		MerchantPenalised: policy.MerchantMissed(c.Deadline, d.t.MerchantEvidenceInWindow)}
	var then []events.Payload
	switch c.Deadline {
	case events.DeadlineMerchantResponse:
		approval, err := d.approve(true, d.t.ReturnAddress)
		if err != nil {
			return nil, err
		}
		then = approval
	case events.DeadlineReturnShipment:
		then = []events.Payload{events.TicketAbandoned{}}
	case events.DeadlineBuyerEscalation:
		then = []events.Payload{events.TicketExpired{}}
	case events.DeadlineMerchantReceipt:
		then = []events.Payload{events.ReturnReceived{Auto: true, Schedule: d.receiptSchedule(d.afterReceipt())}}
	case events.DeadlineMerchantRefund:
		then = []events.Payload{events.RefundIssued{Amount: d.t.Requested - d.t.Refunded, Origin: events.RefundBySystem}}
	case events.DeadlineMerchantReship:
		// Nothing follows: the buyer may now request intervention.
	case events.DeadlineBuyerConfirmation:
		then = []events.Payload{events.ReplacementConfirmed{Auto: true}}
	case events.DeadlineNegotiation:
		then = []events.Payload{events.EvidenceRequested{Note: "negotiation window ended", Schedule: d.schedule(events.DeadlineEvidence)}}
	case events.DeadlineRulingSLA:
		then = []events.Payload{events.RulingSLABreached{DueAt: due}}
	case events.DeadlineAppeal:
		if d.t.Ruling == nil { // only in a tampered history the auditor replays
			return nil, refuse(ErrWrongState, "no ruling is on record to finalize")
		}
		then = []events.Payload{events.RulingFinalized{Terms: d.t.Ruling.Terms}}
	}
	return append([]events.Payload{fired}, then...), nil
}
