package events

import (
	"strconv"
	"unicode/utf8"
)

// Summary returns a one-line, human-readable account of what an event
// records, for timelines and the audit trail. It leaves out who acted: the
// actor is shown beside it.
//
// The audit trail computes one for every event it folds, so Summary appends
// into a stack buffer and allocates only the returned string (fmt.Sprintf
// cost a few percent of a rebuild); testdata/summary.golden pins its text.
func Summary(env Envelope) string {
	var buf [160]byte
	b := buf[:0]
	switch e := env.Payload.(type) {
	case RefundRequested:
		b = append(b, "opened a "...)
		b = append(b, e.Kind...)
		b = append(b, " request ("...)
		b = append(b, e.Reason...)
		b = append(b, ") for "...)
		b = appendMoney(b, e.Requested, e.Currency)
		b = append(b, " of "...)
		b = appendMoney(b, e.AmountPaid, e.Currency)
		b = append(b, " paid on order "...)
		b = append(b, e.OrderID...)
	case RequestRevised:
		b = append(b, "revised the request to "...)
		b = appendMoney(b, e.Requested, "")
	case MerchantAgreed:
		if e.Auto {
			return "merchant did not answer in time: request approved automatically"
		}
		if e.ReturnAddress == "" {
			return "agreed"
		}
		b = append(b, "agreed (return to "...)
		b = append(b, e.ReturnAddress...)
		b = append(b, ')')
	case MerchantRejected:
		b = append(b, "rejected: "...)
		b = append(b, clip(e.Reason)...)
	case OfferMade:
		b = append(b, "offered "...)
		b = append(b, e.Kind...)
		b = appendAmountIf(b, e.Amount)
	case OfferAccepted:
		b = append(b, "accepted the offer ("...)
		b = append(b, e.Kind...)
		b = appendAmountIf(b, e.Amount)
		b = append(b, ')')
	case OfferDeclined:
		return "declined the offer"
	case ReturnShipped:
		b = append(b, "shipped the return via "...)
		b = appendShipment(b, e.Shipment)
	case ReturnReceived:
		if e.Auto {
			return "receipt confirmed automatically after the merchant's window"
		}
		return "confirmed receipt of the return"
	case ReturnProblemReported:
		b = append(b, "reported a problem with the return: "...)
		b = append(b, e.Problem...)
	case ReplacementShipped:
		b = append(b, "shipped a replacement via "...)
		b = appendShipment(b, e.Shipment)
	case ReplacementConfirmed:
		if e.Auto {
			return "replacement confirmed automatically after the buyer's window"
		}
		return "confirmed the replacement"
	case RefundIssued:
		b = append(b, "refund of "...)
		b = appendMoney(b, e.Amount, "")
		b = append(b, " issued (by "...)
		b = append(b, e.Origin...)
		b = append(b, ')')
	case InterventionRequested:
		return "requested platform intervention; ticket locked"
	case EvidenceRequested:
		return "requested evidence from both parties"
	case EvidenceSubmitted:
		b = append(b, "submitted evidence "...)
		for i, it := range e.Items {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, it.ID...)
		}
		if e.Late {
			b = append(b, " (late)"...)
		}
	case MarkedResolved:
		return "marked the dispute resolved (no liability ruling)"
	case RulingRecorded:
		b = append(b, "ruled "...)
		b = appendTerms(b, e.Terms)
	case AppealFiled:
		b = append(b, "appealed: "...)
		b = append(b, clip(e.Grounds)...)
	case AppealDecided:
		b = append(b, e.Decision...)
		b = append(b, " the ruling"...)
	case RulingFinalized:
		b = append(b, "ruling final: "...)
		b = appendTerms(b, e.Terms)
	case TicketWithdrawn:
		return "withdrew the ticket"
	case TicketAbandoned:
		return "closed as abandoned: the return was never shipped"
	case TicketExpired:
		return "closed as expired: the buyer did not escalate in time"
	case MessagePosted:
		b = append(b, "said "...)
		b = appendQuoted(b, clip(e.Text)) // what %q writes
		if e.VagueDeadline {
			b = append(b, " [vague deadline: "...)
			for i, w := range e.VagueWords {
				if i > 0 {
					b = append(b, ", "...)
				}
				b = append(b, w...)
			}
			b = append(b, ']')
		}
	case DeadlineExpired:
		b = append(b, "deadline "...)
		b = append(b, e.Deadline...)
		b = append(b, " expired"...)
		if e.MerchantPenalised {
			b = append(b, " (merchant penalised)"...)
		}
	case RulingSLABreached:
		return "platform missed its ruling deadline (service breach)"
	default:
		return env.Type
	}
	return string(b)
}

// Money formats minor units as a decimal amount, e.g. 19900 CNY → "199.00 CNY".
func Money(minor int64, currency string) string {
	var buf [48]byte
	return string(appendMoney(buf[:0], minor, currency))
}

// appendMoney appends Money(minor, currency) to b. It writes what
// fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100) always wrote, down
// to math.MinInt64, whose negation is itself (TestMoneyMatchesPrintf).
func appendMoney(b []byte, minor int64, currency string) []byte {
	if minor < 0 {
		b = append(b, '-')
		minor = -minor
	}
	b = strconv.AppendInt(b, minor/100, 10)
	b = append(b, '.')
	if cents := minor % 100; cents >= 0 && cents < 10 {
		b = append(b, '0', byte('0'+cents))
	} else {
		b = strconv.AppendInt(b, cents, 10)
	}
	if currency != "" {
		b = append(b, ' ')
		b = append(b, currency...)
	}
	return b
}

func appendAmountIf(b []byte, amount int64) []byte {
	if amount == 0 {
		return b
	}
	return appendMoney(append(b, " of "...), amount, "")
}

func appendShipment(b []byte, s Shipment) []byte {
	b = append(b, s.Carrier...)
	b = append(b, ' ')
	return append(b, s.TrackingNumber...)
}

// appendTerms appends a ruling's terms: "buyer_favoured, liability merchant,
// refund 1299.00", and the counterfeit compensation when there is one.
func appendTerms(b []byte, t Terms) []byte {
	b = append(b, t.Outcome...)
	b = append(b, ", liability "...)
	b = append(b, t.Liability...)
	b = append(b, ", refund "...)
	b = appendMoney(b, t.Refund, "")
	if t.Counterfeit {
		b = append(b, ", counterfeit compensation "...)
		b = appendMoney(b, t.Compensation, "")
		b = append(b, " (假一赔十)"...)
	}
	return b
}

// appendQuoted appends s as strconv.AppendQuote does. A message of
// printable ASCII without quotes or backslashes, most of them, is written
// as it is between quotes: AppendQuote looks up each character in the
// Unicode tables, a visible share of the audit trail's rows.
func appendQuoted(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			return strconv.AppendQuote(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// clip shortens s to 80 runes, the last an ellipsis. Text that fits is
// returned as it is, without converting it to runes.
func clip(s string) string {
	const max = 80
	if len(s) <= max || utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}
