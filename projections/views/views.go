// Package views is the JSON face of a ticket's state and history, shared by
// the HTTP API and the CLI so that both print the same shapes.
package views

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// TicketView is the JSON face of a ticket's state.
type TicketView struct {
	TicketID      string                     `json:"ticket_id"`
	OrderID       string                     `json:"order_id"`
	BuyerID       string                     `json:"buyer_id"`
	MerchantID    string                     `json:"merchant_id"`
	Kind          events.TicketKind          `json:"kind"`
	Reason        events.Reason              `json:"reason"`
	Description   string                     `json:"description,omitempty"`
	Status        domain.Status              `json:"status"`
	Resolution    domain.Resolution          `json:"resolution,omitempty"`
	Liability     events.Liability           `json:"liability,omitempty"`
	Locked        bool                       `json:"locked"`
	Currency      string                     `json:"currency"`
	AmountPaid    int64                      `json:"amount_paid"`
	Requested     int64                      `json:"requested"`
	Refunded      int64                      `json:"refunded"`
	Compensation  int64                      `json:"compensation"`
	Offer         *OfferView                 `json:"offer,omitempty"`
	ReturnStatus  domain.ReturnStatus        `json:"return_status,omitempty"`
	ReturnAddress string                     `json:"return_address,omitempty"`
	Return        *events.Shipment           `json:"return_shipment,omitempty"`
	Replacement   *events.Shipment           `json:"replacement_shipment,omitempty"`
	Deadlines     []events.ScheduledDeadline `json:"open_deadlines"`
	// Overdue are the open deadlines already past due at the moment the view
	// was made for (TicketAt) but not fired yet: missed, never "next". Once
	// fired, each takes effect at its due time.
	Overdue       []events.ScheduledDeadline `json:"overdue_deadlines,omitempty"`
	Evidence      []EvidenceView             `json:"evidence"`
	Ruling        *RulingView                `json:"ruling,omitempty"`
	Intervention  *InterventionView          `json:"intervention,omitempty"`
	SLABreached   bool                       `json:"sla_breached"`
	Messages      int                        `json:"messages"`
	VagueMessages int                        `json:"vague_messages"`
	OpenedAt      time.Time                  `json:"opened_at"`
	UpdatedAt     time.Time                  `json:"updated_at"`
	ClosedAt      *time.Time                 `json:"closed_at,omitempty"`
	Revision      uint64                     `json:"revision"`
	LastHash      string                     `json:"last_hash"`
}

// OfferView is a pending merchant offer.
type OfferView struct {
	Kind   events.OfferKind `json:"kind"`
	Amount int64            `json:"amount"`
}

// EvidenceView is one evidence item and who gave it when.
type EvidenceView struct {
	events.EvidenceItem
	Party      events.Role `json:"party"`
	RecordedAt time.Time   `json:"recorded_at"`
	Late       bool        `json:"late"`
}

// RulingView is the ruling and its appeal.
type RulingView struct {
	ArbitratorID  string       `json:"arbitrator_id"`
	RecordedAt    time.Time    `json:"recorded_at"`
	Terms         events.Terms `json:"terms"`
	Evidence      []string     `json:"evidence"`
	Late          bool         `json:"late"`
	PolicyVersion string       `json:"policy_version,omitempty"`
	Appeal        *AppealView  `json:"appeal,omitempty"`
}

// AppealView is the appeal on a ruling.
type AppealView struct {
	Party     events.Role           `json:"party"`
	Grounds   string                `json:"grounds"`
	FiledAt   time.Time             `json:"filed_at"`
	Decision  events.AppealDecision `json:"decision,omitempty"`
	DecidedBy string                `json:"decided_by,omitempty"`
	// Terms replace the ruling's when the appeal overturned it.
	Terms *events.Terms `json:"terms,omitempty"`
}

// InterventionView says who asked the platform to step in, and when.
type InterventionView struct {
	By events.Role `json:"by"`
	At *time.Time  `json:"at"`
}

// TicketAt returns the view of a ticket's state at the moment now, with the
// deadlines already missed by then listed as overdue.
func TicketAt(t domain.Ticket, now time.Time) TicketView {
	v := Ticket(t)
	v.Overdue = t.Overdue(now)
	return v
}

// Ticket returns the view of a ticket's state, with no moment to tell overdue
// deadlines from upcoming ones (see TicketAt).
func Ticket(t domain.Ticket) TicketView {
	v := TicketView{TicketID: t.ID, OrderID: t.OrderID, BuyerID: t.BuyerID, MerchantID: t.MerchantID, Kind: t.Kind,
		Reason: t.Reason, Description: t.Description, Status: t.Status, Resolution: t.Resolution, Liability: t.Liability,
		Locked: t.Locked, Currency: t.Currency, AmountPaid: t.AmountPaid, Requested: t.Requested, Refunded: t.Refunded,
		Compensation: t.Compensation, ReturnStatus: t.ReturnStatus, ReturnAddress: t.ReturnAddress, Return: t.ReturnShipment,
		Replacement: t.Replacement, Deadlines: t.OpenDeadlines(), Evidence: []EvidenceView{}, SLABreached: t.SLABreached,
		Messages: t.Messages, VagueMessages: t.VagueMessages, OpenedAt: t.OpenedAt, UpdatedAt: t.UpdatedAt,
		ClosedAt: t.ClosedAt, Revision: t.Revision, LastHash: t.LastHash}
	if t.Offer != nil {
		v.Offer = &OfferView{Kind: t.Offer.Kind, Amount: t.Offer.Amount}
	}
	for _, id := range t.EvidenceOrder {
		e := t.Evidence[id]
		v.Evidence = append(v.Evidence, EvidenceView{EvidenceItem: e.EvidenceItem, Party: e.Party, RecordedAt: e.RecordedAt, Late: e.Late})
	}
	if r := t.Ruling; r != nil {
		v.Ruling = &RulingView{ArbitratorID: r.ArbitratorID, RecordedAt: r.RecordedAt, Terms: r.Terms,
			Evidence: append([]string{}, r.Evidence...), Late: r.Late, PolicyVersion: r.PolicyVersion}
		if a := r.Appeal; a != nil {
			v.Ruling.Appeal = &AppealView{Party: a.Party, Grounds: a.Grounds, FiledAt: a.FiledAt, Decision: a.Decision, DecidedBy: a.DecidedBy, Terms: a.Terms}
		}
	}
	if t.InterventionBy != "" {
		v.Intervention = &InterventionView{By: t.InterventionBy, At: t.InterventionAt}
	}
	return v
}

// HistoryStep is one event of a ticket's history and the state after it.
type HistoryStep struct {
	// EventID is the event's UUID, the handle `prove` and the audit
	// trail name it by.
	EventID  string `json:"event_id"`
	Revision uint64 `json:"revision"`
	// OccurredAt is when the event was recorded, EffectiveAt when it took
	// effect: they differ for an expiry fired after its due time, and for
	// what that expiry caused, which take effect at the due time.
	OccurredAt  time.Time    `json:"occurred_at"`
	EffectiveAt time.Time    `json:"effective_at"`
	Actor       events.Actor `json:"actor"`
	Type        string       `json:"type"`
	Summary     string       `json:"summary"`
	CommandID   string       `json:"command_id"`
	Hash        string       `json:"hash"`
	PrevHash    string       `json:"prev_hash"`
	// Payload is the event's payload, whose shape depends on Type.
	Payload    json.RawMessage `json:"payload"`
	StateAfter TicketView      `json:"state_after"`
}

// History returns the views of a timeline's steps.
func History(steps []domain.Step) ([]HistoryStep, error) {
	out := make([]HistoryStep, len(steps))
	for i, st := range steps {
		ev := st.Event
		payload, err := json.Marshal(ev.Payload)
		if err != nil {
			return nil, fmt.Errorf("encode %s revision %d: %w", ev.Stream, ev.Revision, err)
		}
		out[i] = HistoryStep{EventID: ev.ID.String(), Revision: ev.Revision, OccurredAt: ev.OccurredAt, EffectiveAt: st.EffectiveAt, Actor: ev.Actor,
			Type: ev.Type, Summary: events.Summary(ev), CommandID: ev.CommandID, Hash: ev.Hash, PrevHash: ev.PrevHash,
			Payload: payload, StateAfter: TicketAt(st.State, st.EffectiveAt)}
	}
	return out, nil
}
