package httpapi

import (
	"context"

	"github.com/disputes-ledger/disputes/projections"
)

// ReadModel is what the API reads from the projections: ticket lists,
// audit trails, merchant scores, and how far each projection has got. It
// is eventually consistent with the ledger; the API reads a ticket's own
// state and history from the event store instead, so a client always reads
// its own writes there. projections.Reads is the implementation, the same
// reader the CLI's queries use, so the rows and their names are the
// package projections' types. Implementations are safe for concurrent use.
type ReadModel interface {
	// Tickets returns one page of tickets matching f, in (opened_at,
	// ticket_id) order.
	Tickets(ctx context.Context, f projections.TicketFilter) (projections.TicketPage, error)
	// AuditTrail returns one page of audit rows in position order.
	AuditTrail(ctx context.Context, f projections.AuditFilter) (projections.AuditPage, error)
	// Scores returns merchants' penalty scores, most penalised first.
	Scores(ctx context.Context, f projections.ScoreFilter) ([]projections.MerchantScore, error)
	// Checkpoints returns each projection's position in the global log.
	Checkpoints(ctx context.Context) (map[string]uint64, error)
}

var _ ReadModel = projections.Reads{}

// Page sizes of lists.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// The rows the API answers with are the read side's own.
type (
	TicketSummary = projections.TicketSummary
	AuditEntry    = projections.AuditEntry
	MerchantScore = projections.MerchantScore
)
