package console

import (
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// words is a term in both languages the console shows side by side.
type words struct{ Zh, En string }

func (w words) String() string {
	if w.Zh == "" {
		return w.En
	}
	return w.Zh + " " + w.En
}

var statusWords = map[domain.Status]words{
	domain.StatusAwaitingMerchant:     {"待商家处理", "awaiting merchant"},
	domain.StatusRejected:             {"商家已拒绝", "rejected"},
	domain.StatusOfferPending:         {"商家方案待确认", "offer pending"},
	domain.StatusAwaitingReturn:       {"待买家退货", "awaiting return"},
	domain.StatusReturnInTransit:      {"退货运输中", "return in transit"},
	domain.StatusAwaitingRefund:       {"待退款", "awaiting refund"},
	domain.StatusAwaitingReship:       {"待补发", "awaiting reship"},
	domain.StatusReplacementInTransit: {"换货运输中", "replacement in transit"},
	domain.StatusNegotiation:          {"协商期", "negotiation"},
	domain.StatusAwaitingEvidence:     {"待举证", "awaiting evidence"},
	domain.StatusUnderReview:          {"平台审核中", "under review"},
	domain.StatusRuled:                {"已判定", "ruled"},
	domain.StatusUnderAppeal:          {"申诉中", "under appeal"},
	domain.StatusClosed:               {"已关闭", "closed"},
}

var kindWords = map[events.TicketKind]words{
	events.KindRefundOnly:   {"仅退款", "refund only"},
	events.KindReturnRefund: {"退货退款", "return and refund"},
	events.KindExchange:     {"换货", "exchange"},
}

var reasonWords = map[events.Reason]words{
	events.ReasonNoReason:      {"七天无理由", "no reason (7 days)"},
	events.ReasonQuality:       {"质量问题", "quality"},
	events.ReasonNotAsDescribe: {"与描述不符", "not as described"},
	events.ReasonDamaged:       {"破损", "damaged"},
	events.ReasonCounterfeit:   {"假冒商品", "counterfeit"},
	events.ReasonNotShipped:    {"未发货", "not shipped"},
	events.ReasonLogistics:     {"物流延误", "logistics delay"},
	events.ReasonMissingParts:  {"缺件", "missing parts"},
	events.ReasonOther:         {"其他", "other"},
}

var deadlineWords = map[events.DeadlineKind]words{
	events.DeadlineMerchantResponse:  {"商家响应", "merchant response"},
	events.DeadlineReturnShipment:    {"买家退货", "return shipment"},
	events.DeadlineBuyerEscalation:   {"买家申请介入", "buyer escalation"},
	events.DeadlineMerchantReceipt:   {"商家确认收货", "merchant receipt"},
	events.DeadlineMerchantRefund:    {"商家退款", "merchant refund"},
	events.DeadlineMerchantReship:    {"商家补发", "merchant reship"},
	events.DeadlineBuyerConfirmation: {"买家确认收货", "buyer confirmation"},
	events.DeadlineNegotiation:       {"协商", "negotiation"},
	events.DeadlineEvidence:          {"举证", "evidence"},
	events.DeadlineRulingSLA:         {"判定时限", "ruling SLA"},
	events.DeadlineAppeal:            {"申诉", "appeal"},
}

var roleWords = map[events.Role]words{
	events.RoleBuyer:            {"买家", "buyer"},
	events.RoleMerchant:         {"商家", "merchant"},
	events.RoleAgent:            {"客服", "agent"},
	events.RoleArbitrator:       {"仲裁员", "arbitrator"},
	events.RoleSeniorArbitrator: {"高级仲裁员", "senior arbitrator"},
	events.RoleAuditor:          {"审计员", "auditor"},
	events.RoleSystem:           {"系统", "system"},
}

var outcomeWords = map[events.Outcome]words{
	events.OutcomeBuyerFavoured:    {"支持买家", "buyer favoured"},
	events.OutcomePartiallyFavored: {"部分支持", "partially favoured"},
	events.OutcomeMerchantFavoured: {"支持商家", "merchant favoured"},
}

var liabilityWords = map[events.Liability]words{
	events.LiabilityMerchant: {"商家责任", "merchant"},
	events.LiabilityBuyer:    {"买家责任", "buyer"},
	events.LiabilityShared:   {"双方责任", "shared"},
	events.LiabilityNone:     {"无责", "none"},
}

var decisionWords = map[events.AppealDecision]words{
	events.AppealUpheld:     {"维持原判", "upheld"},
	events.AppealOverturned: {"改判", "overturned"},
}

// wordsOf returns the words of a term, or the term itself when it has none.
func wordsOf[K ~string](table map[K]words, k K) words {
	if w, ok := table[k]; ok {
		return w
	}
	return words{En: string(k)}
}
