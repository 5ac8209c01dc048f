package projections

import "time"

// ForgetBetweenPages makes the read models among projs keep no ticket in
// memory between pages: each page reads its tickets back from their rows,
// as the first page after a restart does.
func ForgetBetweenPages(projs []Projection) {
	for _, p := range projs {
		switch p := p.(type) {
		case *TicketStatus:
			p.maxCache = -1
		case *MerchantPenalties:
			p.maxCache = -1
		case *Deadlines:
			p.maxCache = -1
		}
	}
}

// FormatTime is how the SQLite read models spell a time.
func FormatTime(t time.Time) string { return formatTime(t) }

// SetTicketCache sets how many tickets the per-ticket read models among
// projs keep in memory (DefaultTicketCache by default).
func SetTicketCache(projs []Projection, n int) {
	for _, p := range projs {
		switch p := p.(type) {
		case *TicketStatus:
			p.maxCache = n
		case *MerchantPenalties:
			p.maxCache = n
		case *Deadlines:
			p.maxCache = n
		}
	}
}

// SetAuditHold sets how many rows the audit trail among projs holds for
// one commit (maxPendingAudit by default).
func SetAuditHold(projs []Projection, n int) {
	for _, p := range projs {
		if a, ok := p.(*AuditTrail); ok {
			a.maxPending = n
		}
	}
}

// Held returns how many tickets p keeps in memory, and how many events'
// rows it holds uncommitted (the audit trail's).
func Held(p Projection) (tickets, rows int) {
	switch p := p.(type) {
	case *TicketStatus:
		return len(p.cache), 0
	case *MerchantPenalties:
		return len(p.cache), len(p.facts)
	case *Deadlines:
		return len(p.cache), 0
	case *AuditTrail:
		return 0, p.pending.len()
	}
	return 0, 0
}

// Cache returns the map of tickets p keeps in memory (nil for a read model
// that keeps none), for tests that look at what it holds.
func Cache(p Projection) any {
	switch p := p.(type) {
	case *TicketStatus:
		return p.cache
	case *MerchantPenalties:
		return p.cache
	case *Deadlines:
		return p.cache
	}
	return nil
}
