package scenarios

import (
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// The seed scenarios' names, stable: golden files are named after them.
const (
	SeedQualityExchange   = "a-quality-exchange"
	SeedLogisticsRefund   = "b-logistics-refund"
	SeedCounterfeitRuling = "c-counterfeit-ruling"
	SeedMerchantSilent    = "d-merchant-silent"
	SeedNeverShipped      = "e-never-shipped-appeal"
)

// Seeds returns the five cases of the seed documents, under policy.Default():
//
//	(a) a quality problem resolved by exchange;
//	(b) a logistics delay refunded by agreement;
//	(c) a counterfeit ruled 假一赔十 with merchant liability, after evidence
//	    from both sides whose window runs across a weekend (and a ruling late
//	    against the platform's 72 h, as a weekend makes it);
//	(d) a merchant silent for 72 h, approved automatically and penalised;
//	(e) an order never shipped: intervention at once, no merchant evidence,
//	    a ruling for the buyer overturned on the merchant's appeal.
//
// The week is anchored on the first Monday 09:30 in Shanghai at or after
// start, so that the weekday of every step, and hence every working-hours
// deadline, is the same whatever start is given.
func Seeds(start time.Time) []Scenario {
	scs, _ := seeds(start)
	return scs
}

// seeds also returns the steps the aggregate refused (none, as tested).
func seeds(start time.Time) ([]Scenario, []error) {
	pol := policy.Default()
	monday := nextAt(start.In(pol.BusinessCalendar().Location()), time.Monday, 9, 30)
	builders := []*builder{
		seedQualityExchange(pol, monday),
		seedLogisticsRefund(pol, monday.Add(40*time.Minute)),
		seedCounterfeit(pol, monday.AddDate(0, 0, 2).Add(30*time.Minute)), // Wednesday 10:00
		seedMerchantSilent(pol, monday.Add(3*time.Hour)),
		seedNeverShipped(pol, monday.AddDate(0, 0, 1).Add(30*time.Minute)), // Tuesday 10:00
	}
	scs := make([]Scenario, len(builders))
	var refused []error
	for i, b := range builders {
		scs[i] = b.scenario()
		refused = append(refused, b.refused...)
	}
	return scs, refused
}

// nextAt returns the first time at or after t that is weekday at hh:mm in t's zone.
func nextAt(t time.Time, weekday time.Weekday, hh, mm int) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), hh, mm, 0, 0, t.Location())
	for d.Weekday() != weekday || d.Before(t) {
		d = time.Date(d.Year(), d.Month(), d.Day()+1, hh, mm, 0, 0, t.Location())
	}
	return d
}

// seedTicketID is a seed's after-sales ticket number: the date it opens and its letter.
func seedTicketID(start time.Time, letter string) string {
	return fmt.Sprintf("AS%sS%s", start.Format("20060102"), letter)
}

func buyerActor(id string) events.Actor    { return events.Actor{Role: events.RoleBuyer, ID: id} }
func merchantActor(id string) events.Actor { return events.Actor{Role: events.RoleMerchant, ID: id} }

const (
	minute = time.Minute
	hour   = time.Hour
	day    = 24 * time.Hour
)

// seedQualityExchange is case (a), after the seed's 案例1: a phone case
// arrives scratched; the merchant agrees to an exchange and pays shipping.
func seedQualityExchange(pol policy.Policy, start time.Time) *builder {
	id := seedTicketID(start, "A")
	buyer, merchant := buyerActor("b-730215884"), merchantActor("m-10086235")
	delivered := start.Add(-26 * hour).UTC()
	b := newBuilder(pol, SeedQualityExchange, "(a) 手机壳划痕换货 — quality problem resolved by exchange", id, start)
	b.after(0, buyer, domain.OpenTicket{
		TicketID: id, OrderID: "301827564219", MerchantID: merchant.ID, Kind: events.KindExchange,
		Reason: events.ReasonQuality, Currency: "CNY", AmountPaid: 3900, Requested: 0,
		Description:  "收到的手机壳背面有明显划痕，开箱视频已录。The phone case arrived with deep scratches on the back; the unboxing is on video.",
		OrderShipped: true, DeliveredAt: &delivered,
	}, "buyer applies for an exchange (换货)")
	b.after(25*minute, buyer, domain.PostMessage{Text: "视频已发到聊天窗口，请尽快处理。I've sent the video in chat, please handle this soon."},
		"buyer sends the unboxing video (buyers' vague words are not flagged)")
	b.after(70*minute, merchant, domain.PostMessage{Text: "抱歉给您带来不便，来回运费由我们承担，收到退货后24小时内发出新品。Sorry about that — we pay shipping both ways and ship a new case within 24 h of receiving the return."},
		"merchant answers with a concrete time")
	b.after(75*minute, merchant, domain.Agree{ReturnAddress: "广东省深圳市宝安区西乡街道固戍二路88号 品胜售后仓 / Returns desk, 88 Gushu 2nd Rd, Bao'an, Shenzhen"},
		"merchant agrees and gives the return address")
	b.after(5*hour, buyer, domain.ShipReturn{Shipment: events.Shipment{Carrier: "SF Express", TrackingNumber: "SF1428867302215"}},
		"buyer ships the case back")
	b.after(2*day+3*hour, merchant, domain.ConfirmReceipt{}, "merchant confirms the return arrived")
	b.after(2*day+8*hour, merchant, domain.ShipReplacement{Shipment: events.Shipment{Carrier: "JD Logistics", TrackingNumber: "JDVC0583291746"}},
		"merchant ships the replacement")
	b.after(4*day+2*hour, buyer, domain.ConfirmReplacement{}, "buyer confirms the new case is fine")
	return b
}

// seedLogisticsRefund is case (b), after the seed's 案例2: a parcel stuck in
// transit; the merchant checks with the carrier and agrees to refund.
func seedLogisticsRefund(pol policy.Policy, start time.Time) *builder {
	id := seedTicketID(start, "B")
	buyer, merchant := buyerActor("b-518660237"), merchantActor("m-10271904")
	b := newBuilder(pol, SeedLogisticsRefund, "(b) 物流延误仅退款 — logistics delay refunded", id, start)
	b.after(0, buyer, domain.OpenTicket{
		TicketID: id, OrderID: "302145987730", MerchantID: merchant.ID, Kind: events.KindRefundOnly,
		Reason: events.ReasonLogistics, Currency: "CNY", AmountPaid: 25900, Requested: 25900,
		Description:  "电热水壶原定次日送达，物流已5天未更新，申请仅退款。The kettle was due the next day; tracking has not moved for 5 days. Refund only, please.",
		OrderShipped: true,
	}, "buyer asks for a refund only (仅退款)")
	b.after(2*hour, merchant, domain.PostMessage{Text: "已联系京东物流核实，今天18:00前给您答复。We have asked the carrier and will answer by 18:00 today."},
		"merchant promises an answer by a concrete time")
	b.after(6*hour, merchant, domain.PostMessage{Text: "物流确认包裹在中转站丢失，同意全额退款。The carrier confirms the parcel was lost at a depot; full refund agreed."},
		"merchant reports back")
	b.after(6*hour+5*minute, merchant, domain.Agree{}, "merchant agrees: the refund is issued at once")
	return b
}

// seedCounterfeit is case (c), after the seeds' 假一赔十: the buyer says the
// sneakers are fake, the merchant refuses, the platform steps in, both sides
// give evidence over a weekend, and the arbitrator rules counterfeit.
func seedCounterfeit(pol policy.Policy, start time.Time) *builder {
	id := seedTicketID(start, "C")
	buyer, merchant := buyerActor("b-264091553"), merchantActor("m-57300218")
	arbitrator := events.Actor{Role: events.RoleArbitrator, ID: "arb-chen-li"}
	delivered := start.Add(-22 * hour).UTC()
	b := newBuilder(pol, SeedCounterfeitRuling, "(c) 假冒运动鞋 假一赔十 — counterfeit ruled with ten-fold compensation", id, start)
	b.after(0, buyer, domain.OpenTicket{
		TicketID: id, OrderID: "3521847760123456789", MerchantID: merchant.ID, Kind: events.KindReturnRefund,
		Reason: events.ReasonCounterfeit, Currency: "CNY", AmountPaid: 89900, Requested: 89900,
		Description:  "鞋标走线粗糙、鞋盒条码查询无记录，怀疑假货。Sloppy stitching on the tag and a box barcode the brand cannot find: these look fake.",
		OrderShipped: true, DeliveredAt: &delivered,
	}, "buyer asks to return sneakers believed counterfeit")
	b.after(5*hour, merchant, domain.Reject{Reason: "本店所售均为正品，有品牌授权及进货凭证。Everything we sell is genuine; we hold the brand's authorisation and purchase invoices."},
		"merchant rejects")
	b.after(5*hour+30*minute, buyer, domain.PostMessage{Text: "我已送检，如鉴定为假货请按假一赔十处理。I have sent them for authentication; if fake, 假一赔十 applies."},
		"buyer announces an authentication")
	b.after(30*hour, buyer, domain.RequestIntervention{Reason: "商家拒绝退货，鉴定中心出具假货报告，申请平台介入。The merchant refuses and the lab says fake: asking the platform to step in."},
		"buyer escalates (介入) on Thursday afternoon")
	b.expire(events.DeadlineNegotiation) // Friday 16:00: 2 working hours today, 2 more on Monday
	invoice := evidenceItem(id, "ev-c-m1", "invoice", "merchant/purchase-invoice.pdf", "进货发票 / purchase invoice from the distributor")
	licence := evidenceItem(id, "ev-c-m2", "authorisation", "merchant/brand-authorisation.jpg", "品牌授权书 / brand authorisation letter")
	b.do(b.now().Add(45*minute), merchant, domain.SubmitEvidence{Items: []events.EvidenceItem{invoice, licence}},
		"merchant submits its invoice and authorisation on Friday")
	report := evidenceItem(id, "ev-c-b1", "lab_report", "buyer/authentication-report.pdf", "鉴定中心报告：非正品 / authentication lab report: not genuine")
	photos := evidenceItem(id, "ev-c-b2", "photo", "buyer/tag-and-barcode.jpg", "鞋标与鞋盒条码照片 / photos of the tag and box barcode")
	b.do(b.now().Add(17*hour+35*minute), buyer, domain.SubmitEvidence{Items: []events.EvidenceItem{report, photos}},
		"buyer submits the lab report on Saturday: still inside the working-hours window")
	b.expire(events.DeadlineEvidence) // Monday 11:00; the 72 h ruling deadline passed on Sunday
	b.do(b.now().Add(4*hour), arbitrator, domain.Rule{
		Terms: events.Terms{Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant,
			Refund: 89900, Compensation: 89900 * pol.CompensationMultiple, Counterfeit: true},
		Rationale: "鉴定报告认定非正品，商家发票批次与鞋盒条码不符；支持退款并假一赔十。The lab report finds the goods not genuine and the invoice batch does not match the box: refund plus ten times the price.",
		Evidence:  []string{report.ID, photos.ID, invoice.ID},
	}, "arbitrator rules counterfeit (假一赔十)")
	b.expire(events.DeadlineAppeal)
	return b
}

// seedMerchantSilent is case (d): the merchant never answers a refund-only
// request; after 72 h the system approves it and penalises the merchant.
func seedMerchantSilent(pol policy.Policy, start time.Time) *builder {
	id := seedTicketID(start, "D")
	buyer := buyerActor("b-391774620")
	delivered := start.Add(-5 * hour).UTC()
	b := newBuilder(pol, SeedMerchantSilent, "(d) 商家72小时未处理自动同意 — merchant silent for 72 h, approved automatically", id, start)
	b.after(0, buyer, domain.OpenTicket{
		TicketID: id, OrderID: "302266118843", MerchantID: "m-10553017", Kind: events.KindRefundOnly,
		Reason: events.ReasonQuality, Currency: "CNY", AmountPaid: 15800, Requested: 6000,
		Description:  "车厘子约三分之一腐烂，申请部分退款¥60。About a third of the cherries arrived rotten; asking for a ¥60 partial refund.",
		OrderShipped: true, DeliveredAt: &delivered,
	}, "buyer asks for a partial refund")
	b.after(30*hour, buyer, domain.PostMessage{Text: "商家一直没有回复。The shop has not answered at all."}, "buyer chases")
	b.expire(events.DeadlineMerchantResponse)
	return b
}

// seedNeverShipped is case (e): an order never shipped; the buyer asks the
// platform at once, the merchant sends only a vague promise and no evidence,
// arbitrator A rules for the buyer, and senior arbitrator B overturns the
// liability on the merchant's appeal.
func seedNeverShipped(pol policy.Policy, start time.Time) *builder {
	id := seedTicketID(start, "E")
	buyer, merchant := buyerActor("b-655208147"), merchantActor("m-10940388")
	arbitratorA := events.Actor{Role: events.RoleArbitrator, ID: "arb-wang-fang"}
	seniorB := events.Actor{Role: events.RoleSeniorArbitrator, ID: "sarb-liu-yang"}
	b := newBuilder(pol, SeedNeverShipped, "(e) 未发货介入、申诉改判 — never shipped, ruling overturned on appeal", id, start)
	b.after(0, buyer, domain.OpenTicket{
		TicketID: id, OrderID: "302390456612", MerchantID: merchant.ID, Kind: events.KindRefundOnly,
		Reason: events.ReasonNotShipped, Currency: "CNY", AmountPaid: 45900, Requested: 45900,
		Description:  "空气炸锅付款8天仍未发货，联系商家无回复。Air fryer paid 8 days ago and still not shipped; the shop does not answer.",
		OrderShipped: false,
	}, "buyer asks for a refund of an order never shipped")
	b.after(5*minute, buyer, domain.RequestIntervention{Reason: "订单一直未发货，申请平台介入。The order was never shipped: asking the platform to step in."},
		"buyer escalates at once, as an unshipped order allows")
	b.after(10*hour, merchant, domain.PostMessage{Text: "亲，马上给您安排发货哦。We'll arrange shipping right away!"},
		"merchant's only answer is a vague promise (马上): flagged")
	b.expire(events.DeadlineNegotiation)
	screenshot := evidenceItem(id, "ev-e-b1", "screenshot", "buyer/order-status.png", "订单页面显示“待发货”8天 / order page showing 'awaiting shipment' for 8 days")
	chat := evidenceItem(id, "ev-e-b2", "chat_log", "buyer/chat-log.png", "催发货聊天记录 / chat log of the buyer chasing the shipment")
	b.do(b.now().Add(75*minute), buyer, domain.SubmitEvidence{Items: []events.EvidenceItem{screenshot, chat}}, "buyer submits evidence")
	b.expire(events.DeadlineEvidence) // no merchant evidence: penalised
	b.do(b.now().Add(2*hour+55*minute), arbitratorA, domain.Rule{
		Terms:     events.Terms{Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant, Refund: 45900},
		Rationale: "商家举证期内未提供发货凭证，订单显示未发货；全额退款，商家担责。No proof of shipment in the evidence window and the order shows unshipped: full refund, merchant liable.",
		Evidence:  []string{screenshot.ID, chat.ID},
	}, "arbitrator A rules for the buyer")
	b.do(b.now().Add(17*hour), merchant, domain.FileAppeal{Grounds: "包裹已于第7天由中通揽收（单号ZTO73150928466），物流未上传轨迹。The parcel was collected by ZTO on day 7 (ZTO73150928466); the carrier never uploaded its scans."},
		"merchant appeals")
	b.do(b.now().Add(29*hour), seniorB, domain.DecideAppeal{
		Decision:  events.AppealOverturned,
		Rationale: "中通揽收记录属实：商家迟发5天，包裹由物流丢失。退款维持，责任改为共担。The ZTO pickup is genuine: the merchant shipped 5 days late and the carrier lost the parcel. Refund stands; liability is shared.",
		Terms:     &events.Terms{Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityShared, Refund: 45900},
	}, "senior arbitrator B overturns the liability")
	return b
}
