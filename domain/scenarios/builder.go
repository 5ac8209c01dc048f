package scenarios

import (
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// builder writes a scenario while playing it through the aggregate, so that
// it always knows the ticket's state and open deadlines. Like the scheduler,
// it fires every deadline that falls due before the next step, which keeps
// each scenario self-contained. A step the aggregate refuses is left out and
// remembered in refused: seeds and the generator are tested to produce none.
type builder struct {
	pol     policy.Policy
	sc      Scenario
	t       domain.Ticket
	refused []error
}

func newBuilder(pol policy.Policy, name, title, ticketID string, start time.Time) *builder {
	return &builder{pol: pol, sc: Scenario{Name: name, Title: title, TicketID: ticketID, Start: start}}
}

// now is the time of the last step, or the start before the first.
func (b *builder) now() time.Time { return b.sc.End() }

// do fires the deadlines due by at, then records cmd at at. It reports
// whether cmd was accepted. A time before the last step is moved up to it:
// a scenario never runs backwards.
func (b *builder) do(at time.Time, actor events.Actor, cmd domain.Command, note string) bool {
	b.fireDue(at)
	return b.record(at, actor, cmd, note)
}

// after is do at d after the scenario's start.
func (b *builder) after(d time.Duration, actor events.Actor, cmd domain.Command, note string) bool {
	return b.do(b.sc.Start.Add(d), actor, cmd, note)
}

func (b *builder) record(at time.Time, actor events.Actor, cmd domain.Command, note string) bool {
	if at.Before(b.now()) {
		at = b.now()
	}
	if b.t.Closed() {
		b.refused = append(b.refused, fmt.Errorf("%s: %s by %s after the ticket closed", b.sc.Name, cmd.CommandName(), actor))
		return false
	}
	payloads, err := domain.Decide(b.t, actor, cmd, at, b.pol)
	if err != nil {
		b.refused = append(b.refused, fmt.Errorf("%s at %s: %s by %s: %w", b.sc.Name, at.Sub(b.sc.Start), cmd.CommandName(), actor, err))
		return false
	}
	for _, p := range payloads {
		version, _ := events.SchemaVersionOf(p.EventType())
		b.t = b.t.Apply(events.Envelope{
			Stream: events.StreamFor(b.sc.TicketID), Revision: uint64(b.t.Events), Type: p.EventType(),
			SchemaVersion: version, OccurredAt: at.UTC(), Actor: actor, Payload: p,
		})
	}
	b.sc.Steps = append(b.sc.Steps, Step{At: at.Sub(b.sc.Start), Actor: actor, Command: cmd, Note: note})
	return true
}

// fireDue fires, earliest first, every open deadline due at or before at,
// each at its due time, as the scheduler would. It reports whether any fired.
func (b *builder) fireDue(at time.Time) bool {
	fired := false
	for !b.t.Closed() {
		kind, due, ok := b.t.NextDeadline()
		if !ok || due.After(at) {
			break
		}
		if !b.record(due, events.SystemActor(), domain.ExpireDeadline{Deadline: kind}, expiryNote(kind)) {
			break
		}
		fired = true
	}
	return fired
}

// expire fires the open deadline kind (and any due before it) at its due time.
func (b *builder) expire(kind events.DeadlineKind) {
	due, ok := b.t.Deadlines[kind]
	if !ok {
		b.refused = append(b.refused, fmt.Errorf("%s: deadline %s is not open", b.sc.Name, kind))
		return
	}
	b.fireDue(due)
}

// due returns when the open deadline kind falls due, or the zero time.
func (b *builder) due(kind events.DeadlineKind) time.Time { return b.t.Deadlines[kind] }

func (b *builder) scenario() Scenario { return b.sc }

// expiryNote says what a deadline's expiry stands for.
func expiryNote(kind events.DeadlineKind) string {
	switch kind {
	case events.DeadlineMerchantResponse:
		return "商家72小时未处理，系统自动同意 — merchant silent for 72 h: request approved automatically"
	case events.DeadlineReturnShipment:
		return "买家未在7天内寄回，售后关闭 — return not shipped in 7 days: ticket abandoned"
	case events.DeadlineBuyerEscalation:
		return "买家未在7天内申请介入，售后关闭 — buyer did not escalate in 7 days: ticket expired"
	case events.DeadlineMerchantReceipt:
		return "商家10天未确认收货，系统自动确认 — receipt confirmed automatically after 10 days"
	case events.DeadlineMerchantRefund:
		return "商家收货后7天未退款，系统退款 — merchant did not refund in 7 days: refund ordered"
	case events.DeadlineMerchantReship:
		return "商家72小时未再次发货 — replacement not shipped in 72 h"
	case events.DeadlineBuyerConfirmation:
		return "买家10天未确认，系统自动确认换货 — replacement confirmed automatically after 10 days"
	case events.DeadlineNegotiation:
		return "介入后24小时协商期结束，进入举证 — negotiation window over: evidence requested"
	case events.DeadlineEvidence:
		return "举证期（4个工作小时）结束 — evidence window (4 working hours) closed"
	case events.DeadlineRulingSLA:
		return "平台未在72小时内判责 — platform missed its 72 h ruling deadline"
	case events.DeadlineAppeal:
		return "7天申诉期结束，判责生效 — appeal window over: ruling final"
	}
	return "deadline " + string(kind) + " expired"
}
