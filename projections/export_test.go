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
