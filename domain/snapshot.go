package domain

import (
	"maps"
	"time"

	"github.com/disputes-ledger/disputes/events"
)

// Snapshot is the part of a Ticket that a read model keeps between events
// so that it can carry on folding a ticket with Ticket.Apply after a
// restart, without the events before: what the ticket-status read model
// stores (projections.TicketStatus). It is the contract between Apply and
// such a reader, written down as a type: every field Apply reads to fold
// the fields below is in it, so that
//
//	t.Apply(e).Snapshot() == t.Snapshot().Ticket().Apply(e).Snapshot()
//
// for every ticket t and next event e (TestSnapshotCarriesTheFold checks it
// at every event of the seed and generated disputes). Apply reading a new
// field of Ticket therefore means adding it here, or that test fails.
type Snapshot struct {
	ID           string
	OrderID      string
	BuyerID      string
	MerchantID   string
	Kind         events.TicketKind
	Reason       events.Reason
	Currency     string
	AmountPaid   int64
	Requested    int64
	Refunded     int64
	Compensation int64
	OrderShipped bool

	Status     Status
	Resolution Resolution
	Liability  events.Liability
	Locked     bool
	// ReturnStatus decides whether a parcel reported not received and
	// received after all withdraws the rejection the report made.
	ReturnStatus ReturnStatus
	// Deadlines are the open deadlines and their due times.
	Deadlines map[events.DeadlineKind]time.Time
	// Ruled says a ruling was recorded; AppealedBy and AppealDecision are
	// its appeal's (empty: none, or pending).
	Ruled          bool
	AppealedBy     events.Role
	AppealDecision events.AppealDecision
	SLABreached    bool
	InterventionBy events.Role
	InterventionAt *time.Time

	OpenedAt        time.Time
	UpdatedAt       time.Time
	ClosedAt        *time.Time
	FirstResponseAt *time.Time
	Messages        int
	VagueMessages   int
	// Effect dates the events an expiry's command recorded after it.
	Effect events.ExpiryEffect

	Revision uint64
	Events   int
}

// Snapshot returns the part of t a read model keeps; see Snapshot.
func (t Ticket) Snapshot() Snapshot {
	s := Snapshot{
		ID: t.ID, OrderID: t.OrderID, BuyerID: t.BuyerID, MerchantID: t.MerchantID, Kind: t.Kind, Reason: t.Reason,
		Currency: t.Currency, AmountPaid: t.AmountPaid, Requested: t.Requested, Refunded: t.Refunded,
		Compensation: t.Compensation, OrderShipped: t.OrderShipped,
		Status: t.Status, Resolution: t.Resolution, Liability: t.Liability, Locked: t.Locked, ReturnStatus: t.ReturnStatus,
		Deadlines: maps.Clone(t.Deadlines), Ruled: t.Ruling != nil, SLABreached: t.SLABreached,
		InterventionBy: t.InterventionBy, InterventionAt: t.InterventionAt,
		OpenedAt: t.OpenedAt, UpdatedAt: t.UpdatedAt, ClosedAt: t.ClosedAt, FirstResponseAt: t.FirstResponseAt,
		Messages: t.Messages, VagueMessages: t.VagueMessages, Effect: t.Effect, Revision: t.Revision, Events: t.Events,
	}
	if s.Deadlines == nil {
		s.Deadlines = map[events.DeadlineKind]time.Time{}
	}
	if t.Ruling != nil && t.Ruling.Appeal != nil {
		s.AppealedBy, s.AppealDecision = t.Ruling.Appeal.Party, t.Ruling.Appeal.Decision
	}
	return s
}

// Ticket restores a Ticket from the snapshot: the fields Apply needs to
// fold the next events into the snapshot's fields. The others (evidence,
// offers, the ruling's terms, …) are left empty; read a ticket's stream
// for those.
func (s Snapshot) Ticket() Ticket {
	t := Ticket{
		ID: s.ID, OrderID: s.OrderID, BuyerID: s.BuyerID, MerchantID: s.MerchantID, Kind: s.Kind, Reason: s.Reason,
		Currency: s.Currency, AmountPaid: s.AmountPaid, Requested: s.Requested, Refunded: s.Refunded,
		Compensation: s.Compensation, OrderShipped: s.OrderShipped,
		Status: s.Status, Resolution: s.Resolution, Liability: s.Liability, Locked: s.Locked, ReturnStatus: s.ReturnStatus,
		Deadlines: maps.Clone(s.Deadlines), SLABreached: s.SLABreached,
		InterventionBy: s.InterventionBy, InterventionAt: s.InterventionAt,
		OpenedAt: s.OpenedAt, UpdatedAt: s.UpdatedAt, ClosedAt: s.ClosedAt, FirstResponseAt: s.FirstResponseAt,
		Messages: s.Messages, VagueMessages: s.VagueMessages, Effect: s.Effect, Revision: s.Revision, Events: s.Events,
	}
	if s.Ruled {
		t.Ruling = &Ruling{}
		if s.AppealedBy != "" {
			t.Ruling.Appeal = &Appeal{Party: s.AppealedBy, Decision: s.AppealDecision}
		}
	}
	return t
}

// Apply folds the next event of the ticket into the snapshot.
func (s Snapshot) Apply(env events.Envelope) Snapshot {
	return s.Ticket().Apply(env).Snapshot()
}
