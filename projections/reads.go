package projections

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/domain/policy"
)

// Reads answers the read side's questions over the read models in DB: the
// one reader the CLI's queries and the HTTP API share. Scores are computed
// under Policy. It is safe for concurrent use when DB is.
type Reads struct {
	DB     *DB
	Policy policy.Policy
}

// Tickets returns one page of tickets; see TicketFilter.
func (r Reads) Tickets(ctx context.Context, f TicketFilter) (TicketPage, error) {
	return Tickets(ctx, r.DB, f)
}

// AuditTrail returns one page of audit rows; see AuditFilter.
func (r Reads) AuditTrail(ctx context.Context, f AuditFilter) (AuditPage, error) {
	return Audit(ctx, r.DB, f)
}

// ScoreFilter selects merchants' scores. Zero fields do not filter.
type ScoreFilter struct {
	// WindowEnd ends the rolling window (inclusive); required.
	WindowEnd  time.Time
	MerchantID string
	// FlaggedOnly keeps the merchants flagged for review.
	FlaggedOnly bool
	// Limit caps the merchants listed; 0 lists all.
	Limit int
}

// Scores returns the scores matching f, most penalised first.
func (r Reads) Scores(ctx context.Context, f ScoreFilter) ([]MerchantScore, error) {
	all, err := Scores(ctx, r.DB, f.WindowEnd, r.Policy)
	if err != nil {
		return nil, fmt.Errorf("merchant scores: %w", err)
	}
	out := []MerchantScore{}
	for _, s := range all {
		if (f.MerchantID == "" || s.MerchantID == f.MerchantID) && (!f.FlaggedOnly || s.Flagged) {
			out = append(out, s)
		}
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out, nil
}

// PenaltyFacts returns one ticket's penalty facts; see PenaltyFacts.
func (r Reads) PenaltyFacts(ctx context.Context, ticketID string) ([]PenaltyFactRow, error) {
	return PenaltyFacts(ctx, r.DB, ticketID)
}

// StatusCounts counts tickets by status; see StatusCounts.
func (r Reads) StatusCounts(ctx context.Context) ([]StatusCount, error) {
	return StatusCounts(ctx, r.DB)
}

// Checkpoints returns each read model's position in the global log.
func (r Reads) Checkpoints(ctx context.Context) (map[string]uint64, error) {
	out := map[string]uint64{}
	for _, name := range Names() {
		pos, err := r.DB.Checkpoint(ctx, name)
		if err != nil {
			return nil, err
		}
		out[name] = pos
	}
	return out, nil
}

// Names are the read models' names, in the order they are reported.
func Names() []string {
	return []string{TicketStatusName, MerchantPenaltiesName, AuditTrailName, DeadlinesName}
}

// ErrBadCursor is returned (wrapped) for a cursor this package did not give out.
var ErrBadCursor = errors.New("not a cursor this ledger gave out")

// ticketCursorJSON is a ticket cursor's content; the cursor is its
// base64url encoding, opaque to clients.
type ticketCursorJSON struct {
	OpenedAt time.Time `json:"o"`
	TicketID string    `json:"t"`
}

// String encodes the cursor for a client to send back.
func (c TicketCursor) String() string {
	b, _ := json.Marshal(ticketCursorJSON{OpenedAt: c.OpenedAt.UTC(), TicketID: c.TicketID})
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseTicketCursor decodes a cursor TicketCursor.String gave out.
func ParseTicketCursor(s string) (*TicketCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	var c ticketCursorJSON
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err == nil && c.TicketID == "" {
		err = errors.New("empty")
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCursor, err)
	}
	return &TicketCursor{OpenedAt: c.OpenedAt, TicketID: c.TicketID}, nil
}

// auditCursorJSON is an audit page cursor's content: the global position
// of the last entry given.
type auditCursorJSON struct {
	Position uint64 `json:"p"`
}

// AuditCursor encodes the cursor of the page after the entry at position.
func AuditCursor(position uint64) string {
	b, _ := json.Marshal(auditCursorJSON{Position: position})
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseAuditCursor decodes a cursor AuditCursor gave out into the position
// the next page starts after.
func ParseAuditCursor(s string) (uint64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	var c auditCursorJSON
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err == nil && c.Position == 0 {
		err = errors.New("empty")
	}
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrBadCursor, err)
	}
	return c.Position, nil
}
