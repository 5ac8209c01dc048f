package httpapi

import (
	"strconv"
	"time"

	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections/views"
)

// ticketView writes v as encoding/json encodes it without HTML escaping,
// which every command answer carries: its members in TicketView's order,
// omitempty honoured. The scalar members, times and deadline lists are
// written here, where encoding/json walked the struct by reflection and
// allocated for every time; the members a ticket has only later in its
// life (an offer, shipments, evidence, a ruling, an intervention) are
// written by encoding/json when present. Tests hold it to encoding/json's
// bytes for every state the scenarios reach and for text that needs
// escaping, and fail when TicketView gains a member this does not write.
func (rb *responseBuffer) ticketView(v views.TicketView) error {
	b := &rb.buf
	b.WriteString(`{"ticket_id":`)
	if err := rb.jsonString(v.TicketID); err != nil {
		return err
	}
	for _, m := range [...]struct {
		name, value string
		omitEmpty   bool
	}{
		{`,"order_id":`, v.OrderID, false},
		{`,"buyer_id":`, v.BuyerID, false},
		{`,"merchant_id":`, v.MerchantID, false},
		{`,"kind":`, string(v.Kind), false},
		{`,"reason":`, string(v.Reason), false},
		{`,"description":`, v.Description, true},
		{`,"status":`, string(v.Status), false},
		{`,"resolution":`, string(v.Resolution), true},
		{`,"liability":`, string(v.Liability), true},
	} {
		if err := rb.member(m.name, m.value, m.omitEmpty); err != nil {
			return err
		}
	}
	rb.boolMember(`,"locked":`, v.Locked)
	if err := rb.member(`,"currency":`, v.Currency, false); err != nil {
		return err
	}
	rb.intMember(`,"amount_paid":`, v.AmountPaid)
	rb.intMember(`,"requested":`, v.Requested)
	rb.intMember(`,"refunded":`, v.Refunded)
	rb.intMember(`,"compensation":`, v.Compensation)
	if err := rb.valueMember(`,"offer":`, v.Offer, v.Offer == nil); err != nil {
		return err
	}
	if err := rb.member(`,"return_status":`, string(v.ReturnStatus), true); err != nil {
		return err
	}
	if err := rb.member(`,"return_address":`, v.ReturnAddress, true); err != nil {
		return err
	}
	if err := rb.valueMember(`,"return_shipment":`, v.Return, v.Return == nil); err != nil {
		return err
	}
	if err := rb.valueMember(`,"replacement_shipment":`, v.Replacement, v.Replacement == nil); err != nil {
		return err
	}
	b.WriteString(`,"open_deadlines":`)
	if err := rb.deadlines(v.Deadlines); err != nil {
		return err
	}
	if len(v.Overdue) > 0 {
		b.WriteString(`,"overdue_deadlines":`)
		if err := rb.deadlines(v.Overdue); err != nil {
			return err
		}
	}
	b.WriteString(`,"evidence":`)
	switch {
	case v.Evidence == nil:
		b.WriteString("null")
	case len(v.Evidence) == 0:
		b.WriteString("[]")
	default:
		if err := rb.value(v.Evidence); err != nil {
			return err
		}
	}
	if err := rb.valueMember(`,"ruling":`, v.Ruling, v.Ruling == nil); err != nil {
		return err
	}
	if err := rb.valueMember(`,"intervention":`, v.Intervention, v.Intervention == nil); err != nil {
		return err
	}
	rb.boolMember(`,"sla_breached":`, v.SLABreached)
	rb.intMember(`,"messages":`, int64(v.Messages))
	rb.intMember(`,"vague_messages":`, int64(v.VagueMessages))
	b.WriteString(`,"opened_at":`)
	if err := rb.time(v.OpenedAt); err != nil {
		return err
	}
	b.WriteString(`,"updated_at":`)
	if err := rb.time(v.UpdatedAt); err != nil {
		return err
	}
	if v.ClosedAt != nil {
		b.WriteString(`,"closed_at":`)
		if err := rb.time(*v.ClosedAt); err != nil {
			return err
		}
	}
	b.WriteString(`,"revision":`)
	b.Write(strconv.AppendUint(b.AvailableBuffer(), v.Revision, 10))
	if err := rb.member(`,"last_hash":`, v.LastHash, false); err != nil {
		return err
	}
	b.WriteByte('}')
	return nil
}

// member writes a string member (name is its comma, name and colon), or
// nothing when it is empty and omitted then.
func (rb *responseBuffer) member(name, value string, omitEmpty bool) error {
	if omitEmpty && value == "" {
		return nil
	}
	rb.buf.WriteString(name)
	return rb.jsonString(value)
}

func (rb *responseBuffer) boolMember(name string, value bool) {
	rb.buf.WriteString(name)
	rb.buf.Write(strconv.AppendBool(rb.buf.AvailableBuffer(), value))
}

func (rb *responseBuffer) intMember(name string, value int64) {
	rb.buf.WriteString(name)
	rb.buf.Write(strconv.AppendInt(rb.buf.AvailableBuffer(), value, 10))
}

// valueMember writes an omitempty pointer member through encoding/json,
// or nothing when it is nil.
func (rb *responseBuffer) valueMember(name string, value any, isNil bool) error {
	if isNil {
		return nil
	}
	rb.buf.WriteString(name)
	return rb.value(value)
}

// deadlines writes a list of deadlines, null when nil.
func (rb *responseBuffer) deadlines(ds []events.ScheduledDeadline) error {
	if ds == nil {
		rb.buf.WriteString("null")
		return nil
	}
	rb.buf.WriteByte('[')
	for i, d := range ds {
		if i > 0 {
			rb.buf.WriteByte(',')
		}
		if err := rb.member(`{"kind":`, string(d.Kind), false); err != nil {
			return err
		}
		rb.buf.WriteString(`,"due_at":`)
		if err := rb.time(d.DueAt); err != nil {
			return err
		}
		rb.buf.WriteByte('}')
	}
	rb.buf.WriteByte(']')
	return nil
}

// time writes t as time.Time's MarshalJSON does: RFC 3339 with the
// nanoseconds it has, quoted, and an error for a time RFC 3339 cannot
// hold (a year past 9999), which encoding/json reports too.
func (rb *responseBuffer) time(t time.Time) error {
	b := append(rb.buf.AvailableBuffer(), '"')
	b, err := t.AppendText(b)
	if err != nil {
		return err
	}
	rb.buf.Write(append(b, '"'))
	return nil
}
