package scenarios

import (
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// maxMoves bounds one ticket's history; real ones close in far fewer.
const maxMoves = 80

// run writes the ticket's history from its opening to its close. Each move
// looks at the ticket's state, picks what one party does next and when, and
// lets any deadline that falls due first fire instead.
func (g *ticketGen) run() {
	g.open()
	for moves := 0; g.b.t.Exists() && !g.b.t.Closed() && moves < maxMoves; moves++ {
		g.move()
	}
}

func (g *ticketGen) move() {
	switch g.b.t.Status {
	case domain.StatusAwaitingMerchant:
		g.merchantAnswers()
	case domain.StatusRejected:
		g.afterRejection()
	case domain.StatusOfferPending:
		g.buyerWeighsOffer()
	case domain.StatusAwaitingReturn:
		g.buyerReturns()
	case domain.StatusReturnInTransit:
		g.merchantReceives()
	case domain.StatusAwaitingRefund:
		g.merchantRefunds()
	case domain.StatusAwaitingReship:
		g.merchantReships()
	case domain.StatusReplacementInTransit:
		g.buyerConfirms()
	case domain.StatusNegotiation:
		g.negotiate()
	case domain.StatusAwaitingEvidence, domain.StatusUnderReview:
		g.review()
	case domain.StatusRuled:
		g.appealOrNot()
	case domain.StatusUnderAppeal:
		g.decideAppeal()
	default:
		g.wait()
	}
}

// act issues cmd after delay, unless a deadline falls due first: then the
// deadline fires and the next move re-plans from the new state.
func (g *ticketGen) act(delay time.Duration, actor events.Actor, cmd domain.Command, note string) bool {
	at := g.b.now().Add(delay.Truncate(time.Second))
	if g.b.fireDue(at) {
		return false
	}
	return g.b.record(at, actor, cmd, note)
}

// wait lets time run on until the next deadline, which fires.
func (g *ticketGen) wait() {
	if _, due, ok := g.b.t.NextDeadline(); ok {
		g.b.fireDue(due)
		return
	}
	g.b.refused = append(g.b.refused, fmt.Errorf("%s: waiting in %s with no deadline open", g.b.sc.Name, g.b.t.Status))
}

// between draws a delay in [lo, hi].
func (g *ticketGen) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(g.rng.Int64N(int64(hi-lo)+1))
}

// within draws a delay in [lo, hi] that still falls before the open
// deadline kind: a party that means to act in time does.
func (g *ticketGen) within(kind events.DeadlineKind, lo, hi time.Duration) time.Duration {
	d := g.between(lo, hi)
	if due, ok := g.b.t.Deadlines[kind]; ok {
		if left := due.Sub(g.b.now()); d >= left {
			d = left * time.Duration(50+g.rng.IntN(45)) / 100
		}
	}
	return d
}

func (g *ticketGen) merchantMessage() (domain.PostMessage, string) {
	if chance(g.rng, g.m.profile.vague) {
		return domain.PostMessage{Text: pick(g.rng, merchantVague).String()}, "merchant answers with a vague promise"
	}
	return domain.PostMessage{Text: pick(g.rng, merchantConcrete).String()}, "merchant answers with a concrete time"
}

func (g *ticketGen) merchantAnswers() {
	t, p := g.b.t, g.m.profile
	const window = events.DeadlineMerchantResponse
	switch {
	case t.BuyerMayEscalate && !t.OrderShipped && !g.revised && chance(g.rng, 0.3):
		g.act(g.between(5*time.Minute, 90*time.Minute), g.buyer, domain.RequestIntervention{Reason: "订单一直未发货，申请平台介入。The order was never shipped."},
			"buyer escalates an unshipped order at once")
		return
	case chance(g.rng, 0.02):
		g.act(g.within(window, time.Hour, 30*time.Hour), g.buyer, domain.Withdraw{Note: "已和商家私下解决。Sorted it out with the shop."}, "buyer withdraws")
		return
	case chance(g.rng, 0.1):
		g.act(g.within(window, 30*time.Minute, 20*time.Hour), g.buyer, domain.PostMessage{Text: pick(g.rng, buyerChases).String()}, "buyer chases")
		return
	case g.merchantTalks < 2 && chance(g.rng, p.message):
		g.merchantTalks++
		msg, note := g.merchantMessage()
		g.act(g.within(window, 10*time.Minute, 8*time.Hour), g.merchant, msg, note)
		return
	}
	agree, reject, offer, silent := p.agree, p.reject, p.offer, p.silent
	switch t.Reason {
	case events.ReasonCounterfeit:
		agree, reject = agree*0.3, reject*2
	case events.ReasonNotShipped:
		offer = 0
	}
	if g.revised {
		agree *= 1.5
	}
	lo, hi := 20*time.Minute, 12*time.Hour
	if p.name != "good" {
		lo, hi = time.Hour, 60*time.Hour
	}
	delay := g.within(window, lo, hi)
	switch weighted(g.rng, agree, reject, offer, silent) {
	case 0:
		switch {
		case t.Kind != events.KindRefundOnly:
			g.act(delay, g.merchant, domain.Agree{ReturnAddress: pick(g.rng, returnAddresses)}, "merchant agrees and gives the return address")
		case chance(g.rng, 0.3):
			g.act(delay, g.merchant, domain.IssueRefund{}, "merchant refunds straight away")
		default:
			g.act(delay, g.merchant, domain.Agree{}, "merchant agrees: refund issued")
		}
	case 1:
		reasons := append(append([]bilingual(nil), rejectReasons[t.Reason]...), genericRejects...)
		g.act(delay, g.merchant, domain.Reject{Reason: pick(g.rng, reasons).String()}, "merchant rejects")
	case 2:
		g.act(delay, g.merchant, g.offer(), "merchant makes a counter-offer")
	default:
		g.wait() // silent: the system approves on the merchant's behalf
	}
}

func (g *ticketGen) offer() domain.MakeOffer {
	t := g.b.t
	base := t.Requested
	if base == 0 {
		base = t.AmountPaid
	}
	if chance(g.rng, 0.3) || base < 200 {
		return domain.MakeOffer{Kind: events.OfferReplacement, Note: "免费补发一件，无需退回。We send a new one free; no need to return it."}
	}
	amount := max(100, base*int64(30+g.rng.IntN(41))/100/100*100)
	return domain.MakeOffer{Kind: events.OfferPartialRefund, Amount: amount,
		Note: fmt.Sprintf("补偿%s，商品无需退回。We offer %s and you keep the item.", yuan(amount), yuan(amount))}
}

func (g *ticketGen) afterRejection() {
	t := g.b.t
	const window = events.DeadlineBuyerEscalation
	if t.MerchantMayEscalate && chance(g.rng, 0.1) {
		g.act(g.within(window, time.Hour, 3*24*time.Hour), g.merchant, domain.RequestIntervention{Reason: "买家拒绝合理方案，申请平台介入。The buyer turned down a fair offer."},
			"merchant asks the platform to step in")
		return
	}
	revise, withdraw, escalate, lapse := 15.0, 15.0, 45.0, 25.0
	returnProblem := t.ReturnStatus == domain.ReturnProblem || t.ReturnStatus == domain.ReturnNotReceived
	if g.revised || returnProblem {
		revise = 0
	}
	if returnProblem {
		withdraw, escalate, lapse = 10, 70, 20
	}
	switch weighted(g.rng, revise, withdraw, escalate, lapse) {
	case 0:
		g.revised = true
		requested := int64(0)
		if t.Kind != events.KindExchange {
			requested = max(100, t.Requested*int64(50+g.rng.IntN(41))/100/100*100)
		}
		g.act(g.within(window, 2*time.Hour, 3*24*time.Hour), g.buyer, domain.ReviseRequest{Requested: requested,
			Description: t.Description + " 已调整申请。Request revised."}, "buyer revises the request")
	case 1:
		g.act(g.within(window, time.Hour, 4*24*time.Hour), g.buyer, domain.Withdraw{Note: "算了，不退了。Never mind, keeping it."}, "buyer withdraws")
	case 2:
		g.act(g.within(window, 2*time.Hour, 5*24*time.Hour), g.buyer, domain.RequestIntervention{Reason: "商家拒绝售后，申请平台介入。The merchant refused; asking the platform to step in."},
			"buyer escalates (介入)")
	default:
		g.wait()
	}
}

func (g *ticketGen) buyerWeighsOffer() {
	const window = events.DeadlineBuyerEscalation
	switch weighted(g.rng, 65, 25, 10) {
	case 0:
		g.act(g.within(window, 30*time.Minute, 2*24*time.Hour), g.buyer, domain.AcceptOffer{}, "buyer accepts the offer")
	case 1:
		g.act(g.within(window, 30*time.Minute, 2*24*time.Hour), g.buyer, domain.DeclineOffer{Reason: "补偿太少。Not enough."}, "buyer declines the offer")
	default:
		g.wait()
	}
}

func (g *ticketGen) buyerReturns() {
	const window = events.DeadlineReturnShipment
	switch weighted(g.rng, 90, 3, 7) {
	case 0:
		g.act(g.within(window, 3*time.Hour, 5*24*time.Hour), g.buyer, domain.ShipReturn{Shipment: shipment(g.rng)}, "buyer ships the return")
	case 1:
		g.act(g.within(window, time.Hour, 3*24*time.Hour), g.buyer, domain.Withdraw{Note: "不退了。Keeping it after all."}, "buyer withdraws")
	default:
		g.wait() // never shipped: abandoned
	}
}

func (g *ticketGen) merchantReceives() {
	const window = events.DeadlineMerchantReceipt
	switch weighted(g.rng, 78, 7, 15) {
	case 0:
		g.act(g.within(window, 24*time.Hour, 8*24*time.Hour), g.merchant, domain.ConfirmReceipt{}, "merchant confirms the return arrived")
	case 1:
		pr := pick(g.rng, returnProblems)
		g.act(g.within(window, 24*time.Hour, 6*24*time.Hour), g.merchant, domain.ConfirmReceipt{Problem: pr.problem, Note: pr.note.String()},
			"merchant reports a problem with the return")
	default:
		g.wait()
	}
}

func (g *ticketGen) merchantRefunds() {
	p := g.m.profile
	if g.merchantTalks < 2 && chance(g.rng, p.message*p.vague) {
		g.merchantTalks++
		msg, note := g.merchantMessage()
		g.act(g.within(events.DeadlineMerchantRefund, 10*time.Minute, 24*time.Hour), g.merchant, msg, note)
		return
	}
	if chance(g.rng, p.slowRefund) {
		g.wait() // the system orders the refund
		return
	}
	g.act(g.within(events.DeadlineMerchantRefund, time.Hour, 4*24*time.Hour), g.merchant, domain.IssueRefund{}, "merchant refunds")
}

func (g *ticketGen) merchantReships() {
	if g.b.t.BuyerMayEscalate { // the 72 h passed with nothing shipped
		if chance(g.rng, 0.6) {
			g.act(g.between(time.Hour, 2*24*time.Hour), g.buyer, domain.RequestIntervention{Reason: "商家超时未发换货。The replacement never shipped."},
				"buyer escalates the missing replacement")
			return
		}
		g.act(g.between(time.Hour, 2*24*time.Hour), g.merchant, domain.ShipReplacement{Shipment: shipment(g.rng)}, "merchant ships the replacement late")
		return
	}
	if chance(g.rng, 0.85+0.1*g.m.profile.agree-0.1) {
		g.act(g.within(events.DeadlineMerchantReship, 2*time.Hour, 60*time.Hour), g.merchant, domain.ShipReplacement{Shipment: shipment(g.rng)}, "merchant ships the replacement")
		return
	}
	g.wait()
}

func (g *ticketGen) buyerConfirms() {
	if chance(g.rng, 0.75) {
		g.act(g.within(events.DeadlineBuyerConfirmation, 24*time.Hour, 7*24*time.Hour), g.buyer, domain.ConfirmReplacement{}, "buyer confirms the replacement")
		return
	}
	g.wait()
}
