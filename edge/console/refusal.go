package console

import (
	"errors"

	"github.com/disputes-ledger/disputes/commands"
)

// refusalWords says in words, for the person at the form, what each of
// commands.Codes() means. TestEveryCodeHasWords holds the table total.
var refusalWords = map[string]words{
	"validation":             {"请求内容不完整或格式不对，请检查表单。", "The request is incomplete or malformed; check the form."},
	"invalid_command":        {"表单中有字段缺失或取值不被接受。", "A field of the form is missing or not accepted."},
	"contradictory_input":    {"表单中的字段相互矛盾。", "Fields of the form contradict each other."},
	"role_not_allowed":       {"您的角色不能执行此操作。", "Your role may not do this."},
	"ticket_not_found":       {"工单不存在。", "There is no such ticket."},
	"revision_mismatch":      {"在您打开此页面之后，其他人已处理了该工单。页面现在显示最新状态，请确认后重新操作。", "Someone else acted on this ticket after you opened the page. The page now shows the new state: check it and act again."},
	"too_many_conflicts":     {"该工单正被多人同时处理，请稍后重试。", "Too many people are acting on this ticket at once; try again in a moment."},
	"outcome_unknown":        {"存储故障，无法确认操作是否已记录。请重新提交同一表单以确认。", "The store failed: it is not known whether the action was recorded. Submit the same form again to settle it."},
	"unavailable":            {"账本暂时不可用，请稍后重试。", "The ledger is unavailable; try again shortly."},
	"idempotency_key_reused": {"此表单已用于另一请求，请刷新页面后重新填写。", "This form was already used for another request; reload the page and fill it in again."},
	"ticket_exists":          {"该工单已存在。", "That ticket already exists."},
	"ticket_closed":          {"工单已关闭，不能再操作。", "The ticket is closed; nothing more can be done on it."},
	"ticket_locked":          {"平台已介入，商家不能再执行此操作。", "The platform has intervened; the merchant may no longer do this."},
	"wrong_state":            {"工单当前所处阶段不允许此操作。", "The ticket's current stage does not allow this."},
	"amount_exceeds_paid":    {"金额超过了买家实付金额（含已退款）。", "The amount exceeds what the buyer paid (counting what was refunded)."},
	"amount_out_of_range":    {"金额超出允许范围。", "The amount is out of range."},
	"window_closed":          {"该操作的时限已过。", "The time allowed for this has run out."},
	"escalation_not_allowed": {"目前没有申请平台介入的依据。", "There are no grounds for asking the platform to intervene yet."},
	"evidence_not_found":     {"判定引用的证据不在记录中。", "The ruling cites evidence that is not on record."},
	"same_arbitrator":        {"申诉须由原仲裁员以外的高级仲裁员处理。", "An appeal must be decided by someone other than the ruling arbitrator."},
	"already_appealed":       {"该判定已被申诉过。", "The ruling has already been appealed."},
	"ruling_terms":           {"判定结果、责任与金额不符合规则（例如：支持商家时不得退款；假冒商品须商家担责且赔偿为实付金额的规定倍数）。", "The outcome, liability and amounts break the rules (a merchant-favoured ruling orders no refund; a counterfeit ruling holds the merchant liable and compensates exactly the policy's multiple of the price)."},
	"deadline_not_open":      {"该时限未在进行中。", "That deadline is not running."},
	"deadline_not_due":       {"该时限尚未到期。", "That deadline is not due yet."},
	"internal":               {"服务器内部错误，操作未完成。", "An internal error stopped the action."},
}

// refusal is a refused command as the page shows it.
type refusal struct {
	Code   string
	Words  words
	Detail string // the rule's own sentence, for the record
	Stale  bool   // someone else acted first: the page shows the new state
}

// refusalOf explains a command's error.
func refusalOf(err error) refusal {
	c := commands.Classify(err)
	w, ok := refusalWords[c.Code]
	if !ok {
		w = refusalWords["internal"]
	}
	r := refusal{Code: c.Code, Words: w, Stale: errors.Is(err, commands.ErrRevisionMismatch)}
	if c.Kind != commands.KindInternal && c.Kind != commands.KindUnavailable {
		r.Detail = err.Error()
	}
	return r
}
