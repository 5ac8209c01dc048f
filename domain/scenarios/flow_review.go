package scenarios

import (
	"fmt"
	"slices"
	"time"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// submission is one party's planned evidence.
type submission struct {
	at    time.Time
	actor events.Actor
	items []events.EvidenceItem
	note  string
}

func (g *ticketGen) negotiate() {
	const window = events.DeadlineNegotiation
	switch weighted(g.rng, 22, 4, 18, 56) {
	case 0:
		g.act(g.within(window, time.Hour, 20*time.Hour), g.buyer, domain.MarkResolved{Note: "已与商家协商一致。Settled with the merchant."},
			"buyer marks the dispute resolved (不判责)")
	case 1:
		g.act(g.within(window, time.Hour, 20*time.Hour), g.buyer, domain.Withdraw{Note: "不想再处理了。Dropping it."}, "buyer withdraws")
	case 2:
		agent := events.Actor{Role: events.RoleAgent, ID: pick(g.rng, g.c.agents)}
		g.act(g.within(window, 30*time.Minute, 12*time.Hour), agent, domain.RequestEvidence{Note: "请双方在4个工作小时内提交凭证。Both parties: evidence within 4 working hours."},
			"customer service asks for evidence early")
	default:
		g.wait() // the negotiation window ends: evidence is requested
	}
}

// review plays the evidence window and the ruling: planned submissions in
// time order (late ones after the window closes), then the ruling.
func (g *ticketGen) review() {
	t := g.b.t
	if g.evidence == nil {
		g.evidence = g.planEvidence()
	}
	if len(g.evidence) > 0 {
		next := g.evidence[0]
		if due, open := t.Deadlines[events.DeadlineEvidence]; open && next.at.After(due) {
			g.wait() // the window closes before this (late) submission
			return
		}
		if g.act(max(0, next.at.Sub(g.b.now())), next.actor, domain.SubmitEvidence{Items: next.items}, next.note) {
			g.evidence = g.evidence[1:]
		}
		return
	}
	if t.Status == domain.StatusAwaitingEvidence {
		g.wait()
		return
	}
	g.rule()
}

func (g *ticketGen) planEvidence() []submission {
	t := g.b.t
	due, open := t.Deadlines[events.DeadlineEvidence]
	if !open {
		due = g.b.now()
	}
	when := func(late bool) time.Time {
		if late {
			return due.Add(g.between(30*time.Minute, 20*time.Hour))
		}
		return g.b.now().Add(due.Sub(g.b.now()) * time.Duration(5+g.rng.IntN(90)) / 100)
	}
	var subs []submission
	if chance(g.rng, 0.88) {
		late := chance(g.rng, 0.08)
		subs = append(subs, submission{at: when(late), actor: g.buyer, items: g.items(buyerEvidence(t)), note: lateNote("buyer submits evidence", late)})
	}
	if chance(g.rng, g.m.profile.evidence) {
		late := chance(g.rng, 0.15)
		subs = append(subs, submission{at: when(late), actor: g.merchant, items: g.items(merchantEvidence(t)), note: lateNote("merchant submits evidence", late)})
	}
	slices.SortStableFunc(subs, func(a, b submission) int { return a.at.Compare(b.at) })
	return subs
}

func lateNote(note string, late bool) string {
	if late {
		return note + " after the window (flagged late)"
	}
	return note
}

// evidenceKind is a kind of evidence file and how it is described.
type evidenceKind struct {
	kind, file string
	what       bilingual
}

func buyerEvidence(t domain.Ticket) []evidenceKind {
	kinds := []evidenceKind{
		{"photo", "photo.jpg", bilingual{"商品问题照片", "photos of the problem"}},
		{"video", "unboxing.mp4", bilingual{"开箱视频", "unboxing video"}},
		{"chat_log", "chat.png", bilingual{"与商家聊天记录", "chat log with the shop"}},
	}
	switch t.Reason {
	case events.ReasonCounterfeit:
		kinds = append(kinds, evidenceKind{"lab_report", "authentication.pdf", bilingual{"鉴定报告", "authentication report"}})
	case events.ReasonNotShipped, events.ReasonLogistics:
		kinds = append(kinds, evidenceKind{"screenshot", "tracking.png", bilingual{"物流/订单页面截图", "tracking and order page screenshot"}})
	}
	return kinds
}

func merchantEvidence(t domain.Ticket) []evidenceKind {
	kinds := []evidenceKind{
		{"shipping_record", "waybill.jpg", bilingual{"发货底单", "dispatch waybill"}},
		{"qc_report", "qc.pdf", bilingual{"出库质检记录", "pre-dispatch quality check"}},
	}
	if t.Reason == events.ReasonCounterfeit {
		kinds = append(kinds, evidenceKind{"invoice", "invoice.pdf", bilingual{"进货发票", "purchase invoice"}})
	}
	if t.ReturnStatus != domain.ReturnNone {
		kinds = append(kinds, evidenceKind{"photo", "warehouse.jpg", bilingual{"仓库收货照片", "warehouse photos of the return"}})
	}
	return kinds
}

// items picks one to three evidence files.
func (g *ticketGen) items(kinds []evidenceKind) []events.EvidenceItem {
	n := 1 + g.rng.IntN(min(3, len(kinds)))
	order := g.rng.Perm(len(kinds))[:n]
	items := make([]events.EvidenceItem, n)
	for i, k := range order {
		g.evidenceN++
		ek := kinds[k]
		id := fmt.Sprintf("ev-%d", g.evidenceN)
		items[i] = evidenceItem(g.b.sc.TicketID, id, ek.kind, fmt.Sprintf("%s-%s", id, ek.file), ek.what.String())
	}
	return items
}

func (g *ticketGen) rule() {
	t := g.b.t
	terms := g.terms()
	var cited []string
	for _, id := range t.EvidenceOrder {
		if chance(g.rng, 0.7) {
			cited = append(cited, id)
		}
	}
	arbitrator := events.Actor{Role: events.RoleArbitrator, ID: pick(g.rng, g.c.arbitrators)}
	g.act(g.between(time.Hour, 20*time.Hour), arbitrator, domain.Rule{Terms: terms, Rationale: rationale(terms).String(), Evidence: cited},
		fmt.Sprintf("arbitrator rules %s, liability %s", terms.Outcome, terms.Liability))
}

// full is what a buyer-favoured ruling refunds: the request, or the price of an exchange.
func full(t domain.Ticket) int64 {
	if t.Requested > 0 {
		return t.Requested
	}
	return t.AmountPaid
}

func half(amount int64) int64 { return max(100, amount/2/100*100) }

// terms draws a ruling that follows the ticket's hidden truth, or the
// missing merchant evidence, most of the time.
func (g *ticketGen) terms() events.Terms {
	t := g.b.t
	right := g.buyerRight || (!t.MerchantEvidenceInWindow && chance(g.rng, 0.5))
	switch {
	case !right:
		liability := []events.Liability{events.LiabilityBuyer, events.LiabilityNone}[weighted(g.rng, 6, 4)]
		return events.Terms{Outcome: events.OutcomeMerchantFavoured, Liability: liability}
	case t.Reason == events.ReasonCounterfeit && chance(g.rng, 0.7):
		return events.Terms{Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant, Refund: full(t),
			Compensation: t.AmountPaid * g.pol.CompensationMultiple, Counterfeit: true}
	case chance(g.rng, 0.8):
		return events.Terms{Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant, Refund: full(t)}
	}
	return events.Terms{Outcome: events.OutcomePartiallyFavored, Liability: events.LiabilityShared, Refund: half(full(t))}
}

func rationale(terms events.Terms) bilingual {
	switch {
	case terms.Counterfeit:
		return bilingual{"鉴定报告认定非正品，支持退款并假一赔十。", "The authentication report finds the goods not genuine: refund and ten-fold compensation."}
	case terms.Outcome == events.OutcomeBuyerFavoured:
		return bilingual{"证据显示商品存在问题，商家未能提供有效反证。", "The evidence shows the problem and the merchant gave no effective rebuttal."}
	case terms.Outcome == events.OutcomePartiallyFavored:
		return bilingual{"双方均有责任，支持部分退款。", "Both sides share the fault: partial refund."}
	}
	return bilingual{"买家证据不足以证明商品问题。", "The buyer's evidence does not establish a fault with the goods."}
}

func (g *ticketGen) appealOrNot() {
	terms := g.b.t.Ruling.Terms
	var appellant *events.Actor
	switch {
	case terms.Outcome == events.OutcomeMerchantFavoured:
		appellant = &g.buyer
	case terms.Liability == events.LiabilityMerchant || terms.Liability == events.LiabilityShared:
		appellant = &g.merchant
	}
	if appellant == nil || !chance(g.rng, 0.14) {
		g.wait() // no appeal: the ruling becomes final
		return
	}
	g.act(g.within(events.DeadlineAppeal, 2*time.Hour, 6*24*time.Hour), *appellant,
		domain.FileAppeal{Grounds: "判责未考虑我方提交的凭证，申请复核。The ruling ignored our evidence; we ask for a review."},
		fmt.Sprintf("%s appeals", appellant.Role))
}

func (g *ticketGen) decideAppeal() {
	t := g.b.t
	senior := events.Actor{Role: events.RoleSeniorArbitrator, ID: pick(g.rng, g.c.seniors)}
	delay := g.between(4*time.Hour, 5*24*time.Hour)
	if chance(g.rng, 0.65) {
		g.act(delay, senior, domain.DecideAppeal{Decision: events.AppealUpheld, Rationale: "复核后维持原判。Reviewed: the ruling stands."},
			"senior arbitrator upholds the ruling")
		return
	}
	terms := g.overturn(t.Ruling.Terms)
	g.act(delay, senior, domain.DecideAppeal{Decision: events.AppealOverturned, Terms: &terms,
		Rationale: "复核发现原判认定有误，改判。Reviewed: the ruling misread the evidence and is replaced."},
		fmt.Sprintf("senior arbitrator overturns: %s, liability %s", terms.Outcome, terms.Liability))
}

func (g *ticketGen) overturn(orig events.Terms) events.Terms {
	t := g.b.t
	switch {
	case orig.Counterfeit:
		return events.Terms{Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant, Refund: orig.Refund}
	case orig.Outcome == events.OutcomeMerchantFavoured:
		return events.Terms{Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant, Refund: full(t)}
	case orig.Outcome == events.OutcomeBuyerFavoured:
		return events.Terms{Outcome: events.OutcomePartiallyFavored, Liability: events.LiabilityShared, Refund: half(full(t))}
	case chance(g.rng, 0.5):
		return events.Terms{Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant, Refund: full(t)}
	}
	return events.Terms{Outcome: events.OutcomeMerchantFavoured, Liability: events.LiabilityNone}
}
