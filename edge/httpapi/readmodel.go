package httpapi

import (
	"context"
	"time"
)

// ReadModel is what the API reads from the projections: ticket lists,
// audit trails, merchant scores, and how far each projection has got. It
// is eventually consistent with the ledger; the API reads a ticket's own
// state and history from the event store instead, so a client always reads
// its own writes there. Implementations are safe for concurrent use.
type ReadModel interface {
	// ListTickets returns one page of tickets matching f, in (opened_at,
	// ticket_id) order, and the cursor of the next page ("" at the end).
	ListTickets(ctx context.Context, f TicketFilter) (TicketPage, error)
	// AuditTrail returns one page of a ticket's audit rows in revision
	// order.
	AuditTrail(ctx context.Context, f AuditFilter) (AuditPage, error)
	// Scores returns merchants' penalty scores over the window ending at
	// windowEnd, most penalised first; only merchantID's when it is set.
	Scores(ctx context.Context, windowEnd time.Time, merchantID string) ([]MerchantScore, error)
	// Checkpoints returns each projection's position in the global log.
	Checkpoints(ctx context.Context) (map[string]uint64, error)
}

// TicketFilter selects tickets. Zero fields do not filter.
type TicketFilter struct {
	State      string
	BuyerID    string
	MerchantID string
	Kind       string
	// OpenedFrom (inclusive) and OpenedTo (exclusive) bound the opening time.
	OpenedFrom, OpenedTo time.Time
	// DeadlineBefore keeps tickets whose next open deadline is due at or
	// before it.
	DeadlineBefore time.Time
	// Limit is the page size (1..MaxPageSize).
	Limit int
	// After is the position after which the page starts (from a cursor).
	After *TicketCursor
}

// AuditFilter selects one page of a ticket's audit trail.
type AuditFilter struct {
	TicketID string
	// AfterPosition starts the page after this global position (from a
	// cursor); 0 starts at the beginning.
	AfterPosition uint64
	// Limit is the page size (1..MaxPageSize).
	Limit int
}

// AuditPage is one page of a ticket's audit trail.
type AuditPage struct {
	Entries []AuditEntry
	// More is true when entries follow the page's last one.
	More bool
}

// TicketCursor is the position of a ticket in list order.
type TicketCursor struct {
	OpenedAt time.Time
	TicketID string
}

// TicketPage is one page of a ticket list.
type TicketPage struct {
	Items []TicketSummary
	// Next is where the next page starts; nil on the last page.
	Next *TicketCursor
}

// Page sizes of ticket lists.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// TicketSummary is a ticket's row in the ticket-status projection.
type TicketSummary struct {
	TicketID         string     `json:"ticket_id"`
	OrderID          string     `json:"order_id"`
	BuyerID          string     `json:"buyer_id"`
	MerchantID       string     `json:"merchant_id"`
	Kind             string     `json:"kind"`
	Reason           string     `json:"reason"`
	Status           string     `json:"status"`
	Resolution       string     `json:"resolution,omitempty"`
	Locked           bool       `json:"locked"`
	Currency         string     `json:"currency"`
	AmountPaid       int64      `json:"amount_paid"`
	Requested        int64      `json:"requested"`
	Refunded         int64      `json:"refunded"`
	NextDeadline     string     `json:"next_deadline,omitempty"`
	NextDeadlineAt   *time.Time `json:"next_deadline_at,omitempty"`
	OpenedAt         time.Time  `json:"opened_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
	ClosedAt         *time.Time `json:"closed_at,omitempty"`
	Revision         uint64     `json:"revision"`
	ProjectedThrough uint64     `json:"projected_through"`

	// NextDeadlineOverdue says the earliest open deadline was already past
	// due when the list was answered: missed and not fired yet, not "next".
	NextDeadlineOverdue bool `json:"next_deadline_overdue,omitempty"`
}

// AuditEntry is one row of a ticket's audit trail.
type AuditEntry struct {
	Position      uint64    `json:"position"`
	EventID       string    `json:"event_id"`
	Revision      uint64    `json:"revision"`
	OccurredAt    time.Time `json:"occurred_at"`
	ActorRole     string    `json:"actor_role"`
	ActorID       string    `json:"actor_id"`
	Type          string    `json:"type"`
	Summary       string    `json:"summary"`
	CommandID     string    `json:"command_id"`
	CorrelationID string    `json:"correlation_id"`
	Hash          string    `json:"hash"`
}

// MerchantScore is a merchant's penalty score and the statistics beside it.
type MerchantScore struct {
	MerchantID          string         `json:"merchant_id"`
	WindowStart         time.Time      `json:"window_start"`
	WindowEnd           time.Time      `json:"window_end"`
	Score               int            `json:"score"`
	Breakdown           map[string]int `json:"breakdown"`
	Facts               int            `json:"facts"`
	Flagged             bool           `json:"flagged"`
	PolicyVersion       string         `json:"policy_version"`
	DisputesOpened      int            `json:"disputes_opened"`
	Interventions       int            `json:"interventions"`
	InterventionRate    float64        `json:"intervention_rate"`
	Rulings             int            `json:"rulings"`
	RulingsWon          int            `json:"rulings_won"`
	RulingsLost         int            `json:"rulings_lost"`
	MerchantLiableRate  float64        `json:"merchant_liable_rate"`
	FirstResponses      int            `json:"first_responses"`
	MedianFirstResponse float64        `json:"median_first_response_seconds"`
}
