package scenarios

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// GeneratedSpan is how long the generated tickets' opening times are spread over.
const GeneratedSpan = 90 * 24 * time.Hour

// generatedMerchants is how many merchants the generated tickets are spread over.
const generatedMerchants = 60

// Generate returns n random but valid tickets, the same for the same seed.
// They open at staggered times over GeneratedSpan from start, in opening
// order, at ~60 merchants (a few large shops get most tickets) and many
// buyers, some of them repeat customers. Their histories cover every path of
// the lifecycle in roughly the proportions of a marketplace: most tickets end
// by agreement or refund within days; some are rejected, escalated and ruled;
// a few are appealed, withdrawn, left to expire or abandoned; and some
// merchants answer with vague promises. Every ticket plays to its close.
//
// The timings follow pol's deadlines (every expiry is a step at its due
// time), so the scenarios play without a refusal under pol.
func Generate(seed int64, n int, start time.Time, pol policy.Policy) []Scenario {
	scs, _ := generate(seed, n, start, pol)
	return scs
}

// generate also returns every step the aggregate refused and every ticket
// that did not close: both are generator bugs, and tested to be none.
func generate(seed int64, n int, start time.Time, pol policy.Policy) ([]Scenario, []error) {
	if n <= 0 {
		return nil, nil
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	c := newCast(rng, n)
	opens := make([]time.Time, n)
	for i := range opens {
		opens[i] = openingTime(rng, start, pol.BusinessCalendar().Location())
	}
	slices.SortFunc(opens, time.Time.Compare)

	scs := make([]Scenario, n)
	var problems []error
	for i := range n {
		g := newTicketGen(rand.New(rand.NewPCG(uint64(seed), uint64(i)+1)), c, pol, seed, i, opens[i])
		g.run()
		scs[i] = g.b.scenario()
		problems = append(problems, g.b.refused...)
		if !g.b.t.Closed() {
			problems = append(problems, fmt.Errorf("%s: ticket left %s", scs[i].Name, g.b.t.Status))
		}
	}
	return scs, problems
}

// openingTime draws a ticket's opening time: any day of the span, mostly in
// the daytime and evening, Shanghai time, to the second.
func openingTime(rng *rand.Rand, start time.Time, loc *time.Location) time.Time {
	dayStart := start.Add(time.Duration(rng.Int64N(int64(GeneratedSpan/(24*time.Hour)))) * 24 * time.Hour).In(loc)
	midnight := time.Date(dayStart.Year(), dayStart.Month(), dayStart.Day(), 0, 0, 0, 0, loc)
	// Hours 0-23 weighted like shopping traffic: quiet at night, peaks at 10-12 and 20-22.
	hourWeights := []float64{2, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 4, 6, 8, 8, 7, 6, 6, 6, 6, 6, 6, 7, 9, 10, 8, 5}
	at := midnight.Add(time.Duration(weighted(rng, hourWeights...))*time.Hour + time.Duration(rng.IntN(3600))*time.Second)
	if at.Before(start) {
		at = start.Add(time.Duration(rng.IntN(3600)) * time.Second)
	}
	return at
}

// profile is how a merchant tends to behave.
type profile struct {
	name                         string
	agree, reject, offer, silent float64 // first answer to a request
	message, vague               float64 // posts a message; the message is vague
	slowRefund, evidence         float64 // lets the refund deadline pass; gives evidence when asked
	inTheRight                   float64 // an arbitrator finds for the merchant
}

var profiles = []struct {
	weight float64
	p      profile
}{
	{0.62, profile{name: "good", agree: 0.84, reject: 0.07, offer: 0.07, silent: 0.02, message: 0.25, vague: 0.05, slowRefund: 0.03, evidence: 0.9, inTheRight: 0.55}},
	{0.28, profile{name: "average", agree: 0.6, reject: 0.22, offer: 0.12, silent: 0.06, message: 0.35, vague: 0.3, slowRefund: 0.1, evidence: 0.7, inTheRight: 0.4}},
	{0.10, profile{name: "poor", agree: 0.3, reject: 0.4, offer: 0.1, silent: 0.2, message: 0.45, vague: 0.7, slowRefund: 0.3, evidence: 0.4, inTheRight: 0.2}},
}

type merchant struct {
	id       string
	platform string // "jd" or "taobao": shapes order numbers
	category category
	profile  profile
	weight   float64 // share of tickets
}

// cast is the population the generated tickets draw from.
type cast struct {
	merchants   []merchant
	weights     []float64
	buyers      []string
	arbitrators []string
	seniors     []string
	agents      []string
}

func newCast(rng *rand.Rand, n int) *cast {
	c := &cast{
		arbitrators: []string{"arb-zhang-wei", "arb-li-na", "arb-wang-qiang", "arb-liu-yan", "arb-chen-jie", "arb-zhao-min"},
		seniors:     []string{"sarb-huang-lei", "sarb-zhou-ting", "sarb-sun-hao"},
		agents:      []string{"cs-0217", "cs-0384", "cs-0452", "cs-0596", "cs-0731"},
	}
	for i := range generatedMerchants {
		pw := make([]float64, len(profiles))
		for j, p := range profiles {
			pw[j] = p.weight
		}
		m := merchant{
			id: "m-" + digits(rng, 8), platform: pick(rng, []string{"jd", "taobao", "taobao"}),
			category: pick(rng, catalogue), profile: profiles[weighted(rng, pw...)].p,
			// Zipf-like: the largest shops get most of the tickets.
			weight: 1 / math.Pow(float64(i+1), 0.8),
		}
		c.merchants = append(c.merchants, m)
		c.weights = append(c.weights, m.weight)
	}
	nb := max(10, n*2/3)
	for range nb {
		c.buyers = append(c.buyers, "b-"+digits(rng, 9))
	}
	return c
}

func (m merchant) orderID(rng *rand.Rand) string {
	if m.platform == "jd" {
		return "30" + digits(rng, 10)
	}
	return "35" + digits(rng, 17)
}

// ticketGen writes one generated ticket.
type ticketGen struct {
	rng      *rand.Rand
	c        *cast
	pol      policy.Policy
	b        *builder
	buyer    events.Actor
	merchant events.Actor
	m        merchant
	item     product

	revised       bool
	merchantTalks int
	// buyerRight is the hidden truth an arbitrator tends to find.
	buyerRight bool
	evidence   []submission // planned evidence, nil until the window opens
	evidenceN  int
}

func newTicketGen(rng *rand.Rand, c *cast, pol policy.Policy, seed int64, i int, open time.Time) *ticketGen {
	m := c.merchants[weighted(rng, c.weights...)]
	local := open.In(pol.BusinessCalendar().Location())
	id := fmt.Sprintf("AS%s%06d", local.Format("20060102"), i+1)
	g := &ticketGen{
		rng: rng, c: c, pol: pol, m: m, item: pick(rng, m.category.products),
		buyer:    events.Actor{Role: events.RoleBuyer, ID: pick(rng, c.buyers)},
		merchant: events.Actor{Role: events.RoleMerchant, ID: m.id},
	}
	g.buyerRight = !chance(rng, m.profile.inTheRight)
	g.b = newBuilder(pol, fmt.Sprintf("gen-s%d-%06d", seed, i+1), "", id, local)
	return g
}

// open writes the buyer's request.
func (g *ticketGen) open() {
	rng, item := g.rng, g.item
	price := int64(item.minYuan+rng.IntN(item.maxYuan-item.minYuan+1))*100 + pick(rng, []int64{0, 0, 0, 90, 50})
	kind := g.kind()
	reason := g.reason(kind)
	cmd := domain.OpenTicket{
		TicketID: g.b.sc.TicketID, OrderID: g.m.orderID(rng), MerchantID: g.m.id, Kind: kind, Reason: reason,
		Currency: "CNY", AmountPaid: price, Requested: price, OrderShipped: true,
	}
	switch {
	case kind == events.KindExchange:
		cmd.Requested = 0
	case kind == events.KindRefundOnly && reason != events.ReasonNotShipped && reason != events.ReasonLogistics && chance(rng, 0.35):
		cmd.Requested = max(100, price*int64(20+rng.IntN(41))/100/100*100) // a partial refund, whole yuan
	}
	switch reason {
	case events.ReasonNotShipped:
		cmd.OrderShipped = false
	case events.ReasonLogistics:
	default:
		// Signed for up to six days before: well inside the no-reason window.
		delivered := g.b.sc.Start.Add(-time.Duration(1+rng.IntN(6*24*60)) * time.Minute).UTC()
		cmd.DeliveredAt = &delivered
	}
	cmd.Description = g.describe(reason, cmd.Requested).String()
	g.b.after(0, g.buyer, cmd, fmt.Sprintf("buyer opens a %s request (%s) for %s", kind, reason, item.name.en))
	g.b.sc.Title = fmt.Sprintf("%s %s: %s", item.name.zh, kind, reason)
}

func (g *ticketGen) kind() events.TicketKind {
	if g.item.perishable {
		return []events.TicketKind{events.KindRefundOnly, events.KindReturnRefund}[weighted(g.rng, 9, 1)]
	}
	exchange := 12.0
	if g.item.exchangeByVariants {
		exchange = 28
	}
	return []events.TicketKind{events.KindRefundOnly, events.KindReturnRefund, events.KindExchange}[weighted(g.rng, 35, 45, exchange)]
}

func (g *ticketGen) reason(kind events.TicketKind) events.Reason {
	counterfeit := 0.0
	if g.item.counterfeitProne {
		counterfeit = 6
	}
	switch kind {
	case events.KindRefundOnly:
		rs := []events.Reason{events.ReasonLogistics, events.ReasonQuality, events.ReasonMissingParts, events.ReasonNotAsDescribe,
			events.ReasonDamaged, events.ReasonNotShipped, events.ReasonOther}
		return rs[weighted(g.rng, 22, 22, 12, 10, 14, 10, 5)]
	case events.KindReturnRefund:
		rs := []events.Reason{events.ReasonNoReason, events.ReasonQuality, events.ReasonNotAsDescribe, events.ReasonDamaged,
			events.ReasonCounterfeit, events.ReasonMissingParts}
		return rs[weighted(g.rng, 35, 25, 20, 10, counterfeit, 5)]
	}
	rs := []events.Reason{events.ReasonQuality, events.ReasonNotAsDescribe, events.ReasonDamaged}
	return rs[weighted(g.rng, 45, 35, 20)]
}

func (g *ticketGen) describe(reason events.Reason, requested int64) bilingual {
	it := g.item.name
	var d bilingual
	switch reason {
	case events.ReasonQuality:
		def := pick(g.rng, g.item.defects)
		d = bilingual{"收到的" + it.zh + def.zh + "。", "The " + it.en + " " + def.en + "."}
	case events.ReasonNotAsDescribe:
		d = bilingual{it.zh + g.item.notAsDescribed.zh + "。", "The " + it.en + ": " + g.item.notAsDescribed.en + "."}
	case events.ReasonDamaged:
		d = bilingual{"外包装破损，" + it.zh + "被压坏。", "The box was crushed and the " + it.en + " damaged in transit."}
	case events.ReasonCounterfeit:
		d = bilingual{"防伪码查询无记录，" + it.zh + "疑似假货。", "The anti-counterfeit code is unknown to the brand; the " + it.en + " look fake."}
	case events.ReasonNotShipped:
		n := 3 + g.rng.IntN(6)
		d = bilingual{fmt.Sprintf("付款%d天仍未发货。", n), fmt.Sprintf("Paid %d days ago and still not shipped.", n)}
	case events.ReasonLogistics:
		n := 3 + g.rng.IntN(5)
		d = bilingual{fmt.Sprintf("物流%d天没有更新。", n), fmt.Sprintf("Tracking has not moved for %d days.", n)}
	case events.ReasonMissingParts:
		d = bilingual{it.zh + "少发了配件。", "Parts are missing from the " + it.en + " box."}
	case events.ReasonNoReason:
		d = bilingual{"七天无理由退货，不想要了。", "Seven-day no-reason return: changed my mind."}
	default:
		d = bilingual{"发票未随货寄出。", "The invoice was not in the parcel."}
	}
	if requested > 0 {
		d.zh += "申请退款" + yuan(requested) + "。"
	}
	return d
}
