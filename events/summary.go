package events

import (
	"fmt"
	"strings"
)

// Summary returns a one-line, human-readable account of what an event
// records, for timelines and the audit trail. It leaves out who acted: the
// actor is shown beside it.
func Summary(env Envelope) string {
	switch e := env.Payload.(type) {
	case RefundRequested:
		return fmt.Sprintf("opened a %s request (%s) for %s of %s paid on order %s", e.Kind, e.Reason,
			Money(e.Requested, e.Currency), Money(e.AmountPaid, e.Currency), e.OrderID)
	case RequestRevised:
		return fmt.Sprintf("revised the request to %s", Money(e.Requested, ""))
	case MerchantAgreed:
		if e.Auto {
			return "merchant did not answer in time: request approved automatically"
		}
		return fmt.Sprintf("agreed%s", prefixed(" (return to ", e.ReturnAddress, ")"))
	case MerchantRejected:
		return fmt.Sprintf("rejected: %s", clip(e.Reason))
	case OfferMade:
		return fmt.Sprintf("offered %s%s", e.Kind, amountIf(e.Amount))
	case OfferAccepted:
		return fmt.Sprintf("accepted the offer (%s%s)", e.Kind, amountIf(e.Amount))
	case OfferDeclined:
		return "declined the offer"
	case ReturnShipped:
		return fmt.Sprintf("shipped the return via %s %s", e.Carrier, e.TrackingNumber)
	case ReturnReceived:
		if e.Auto {
			return "receipt confirmed automatically after the merchant's window"
		}
		return "confirmed receipt of the return"
	case ReturnProblemReported:
		return fmt.Sprintf("reported a problem with the return: %s", e.Problem)
	case ReplacementShipped:
		return fmt.Sprintf("shipped a replacement via %s %s", e.Carrier, e.TrackingNumber)
	case ReplacementConfirmed:
		if e.Auto {
			return "replacement confirmed automatically after the buyer's window"
		}
		return "confirmed the replacement"
	case RefundIssued:
		return fmt.Sprintf("refund of %s issued (by %s)", Money(e.Amount, ""), e.Origin)
	case InterventionRequested:
		return "requested platform intervention; ticket locked"
	case EvidenceRequested:
		return "requested evidence from both parties"
	case EvidenceSubmitted:
		ids := make([]string, len(e.Items))
		for i, it := range e.Items {
			ids[i] = it.ID
		}
		late := ""
		if e.Late {
			late = " (late)"
		}
		return fmt.Sprintf("submitted evidence %s%s", strings.Join(ids, ", "), late)
	case MarkedResolved:
		return "marked the dispute resolved (no liability ruling)"
	case RulingRecorded:
		return fmt.Sprintf("ruled %s, liability %s, refund %s%s", e.Outcome, e.Liability, Money(e.Refund, ""), compensation(e.Terms))
	case AppealFiled:
		return fmt.Sprintf("appealed: %s", clip(e.Grounds))
	case AppealDecided:
		return fmt.Sprintf("%s the ruling", e.Decision)
	case RulingFinalized:
		return fmt.Sprintf("ruling final: %s, liability %s, refund %s%s", e.Outcome, e.Liability, Money(e.Refund, ""), compensation(e.Terms))
	case TicketWithdrawn:
		return "withdrew the ticket"
	case TicketAbandoned:
		return "closed as abandoned: the return was never shipped"
	case TicketExpired:
		return "closed as expired: the buyer did not escalate in time"
	case MessagePosted:
		flag := ""
		if e.VagueDeadline {
			flag = fmt.Sprintf(" [vague deadline: %s]", strings.Join(e.VagueWords, ", "))
		}
		return fmt.Sprintf("said %q%s", clip(e.Text), flag)
	case DeadlineExpired:
		pen := ""
		if e.MerchantPenalised {
			pen = " (merchant penalised)"
		}
		return fmt.Sprintf("deadline %s expired%s", e.Deadline, pen)
	case RulingSLABreached:
		return "platform missed its ruling deadline (service breach)"
	}
	return env.Type
}

// Money formats minor units as a decimal amount, e.g. 19900 CNY → "199.00 CNY".
func Money(minor int64, currency string) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	s := fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100)
	if currency != "" {
		s += " " + currency
	}
	return s
}

func amountIf(amount int64) string {
	if amount == 0 {
		return ""
	}
	return " of " + Money(amount, "")
}

func compensation(t Terms) string {
	if !t.Counterfeit {
		return ""
	}
	return fmt.Sprintf(", counterfeit compensation %s (假一赔十)", Money(t.Compensation, ""))
}

func prefixed(before, s, after string) string {
	if s == "" {
		return ""
	}
	return before + s + after
}

func clip(s string) string {
	const max = 80
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}
