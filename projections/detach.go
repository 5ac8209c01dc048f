package projections

import (
	"strings"
	"time"
	"unique"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// A decoded event's strings share its bytes — one copy of them
// (events.Decode), or the log read's own buffer, whose chunks hold many
// events (events.DecodeOwned, as the follower decodes a stored page) — so
// a cached ticket that keeps any of them keeps that event, or that whole
// chunk, in memory — its opening event, its last (for the hash), every
// event that set a status, role or deadline — for as long as it is cached.
// The caches' keys are copies too (cachedEntry). After a commit the
// per-ticket read models detach what they keep: identifiers are copied,
// values of small sets (kinds, statuses, roles) interned, and a ticket is
// cut down to its domain.Snapshot (what a restart would read back), so a
// cached ticket costs a few hundred bytes whatever its history.

// detached returns s holding no string of a decoded event.
func detached(s domain.Snapshot) domain.Snapshot {
	s.ID, s.OrderID, s.BuyerID, s.MerchantID = strings.Clone(s.ID), strings.Clone(s.OrderID), strings.Clone(s.BuyerID), strings.Clone(s.MerchantID)
	s.Kind, s.Reason, s.Currency = interned(s.Kind), interned(s.Reason), interned(s.Currency)
	s.Status, s.Resolution, s.Liability, s.ReturnStatus = interned(s.Status), interned(s.Resolution), interned(s.Liability), interned(s.ReturnStatus)
	s.AppealedBy, s.AppealDecision, s.InterventionBy = interned(s.AppealedBy), interned(s.AppealDecision), interned(s.InterventionBy)
	s.Effect.CommandID = strings.Clone(s.Effect.CommandID)
	if len(s.Deadlines) > 0 {
		ds := make(map[events.DeadlineKind]time.Time, len(s.Deadlines))
		for k, at := range s.Deadlines {
			ds[internedKind(k)] = at
		}
		s.Deadlines = ds
	}
	return s
}

// detachedTicket returns t cut down to its snapshot, detached.
func detachedTicket(t domain.Ticket) domain.Ticket { return detached(t.Snapshot()).Ticket() }

// internedKind is interned for a deadline kind: its constant when it is
// one of the known kinds (events.DeadlineKind.Canonical), which a deadline
// map's lookups by constant then match by pointer.
func internedKind(k events.DeadlineKind) events.DeadlineKind {
	if c, ok := k.Canonical(); ok {
		return c
	}
	return interned(k)
}

// interned returns s's value from a process-wide set of canonical copies.
func interned[S ~string](s S) S {
	if s == "" {
		return s
	}
	return S(unique.Make(string(s)).Value())
}
