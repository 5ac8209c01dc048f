package httpapi

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/projections"
)

// ProjectionReads is the ReadModel over package projections' tables.
//
// Scores and audit trails come from projections.Scores and
// projections.Audit. Ticket lists are read here with SQL on
// rm_ticket_status (whose columns docs/projections.md publishes for
// analytics), because projections.Tickets has no buyer filter (which a
// buyer's list needs), no kind or next-deadline filter, and no keyset
// cursor; move them there when it has.
type ProjectionReads struct {
	DB     *projections.DB
	Policy policy.Policy
}

var _ ReadModel = ProjectionReads{}

const ticketSummaryColumns = `ticket_id, order_id, buyer_id, merchant_id, kind, reason, state, resolution, locked,
	currency, amount_paid, requested, refunded, next_deadline_kind, next_deadline_at, opened_at, updated_at,
	closed_at, revision, last_position`

// ListTickets implements ReadModel.
func (p ProjectionReads) ListTickets(ctx context.Context, f TicketFilter) (TicketPage, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) { where = append(where, cond); args = append(args, arg) }
	if f.State != "" {
		add("state = ?", f.State)
	}
	if f.BuyerID != "" {
		add("buyer_id = ?", f.BuyerID)
	}
	if f.MerchantID != "" {
		add("merchant_id = ?", f.MerchantID)
	}
	if f.Kind != "" {
		add("kind = ?", f.Kind)
	}
	if !f.OpenedFrom.IsZero() {
		add("opened_at >= ?", projections.FormatTime(f.OpenedFrom))
	}
	if !f.OpenedTo.IsZero() {
		add("opened_at < ?", projections.FormatTime(f.OpenedTo))
	}
	if !f.DeadlineBefore.IsZero() {
		add("next_deadline_at <= ?", projections.FormatTime(f.DeadlineBefore))
	}
	if f.After != nil {
		at := projections.FormatTime(f.After.OpenedAt)
		where = append(where, "(opened_at > ? OR (opened_at = ? AND ticket_id > ?))")
		args = append(args, at, at, f.After.TicketID)
	}
	q := `SELECT ` + ticketSummaryColumns + ` FROM rm_ticket_status`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > MaxPageSize {
		limit = DefaultPageSize
	}
	// One row more than asked says whether there is a next page.
	q += fmt.Sprintf(` ORDER BY opened_at, ticket_id LIMIT %d`, limit+1)
	rows, err := p.DB.SQL.QueryContext(ctx, p.DB.Dialect.Q(q), args...)
	if err != nil {
		return TicketPage{}, fmt.Errorf("list tickets: %w", err)
	}
	defer rows.Close()
	var page TicketPage
	for rows.Next() {
		s, err := scanSummary(rows)
		if err != nil {
			return TicketPage{}, fmt.Errorf("list tickets: %w", err)
		}
		page.Items = append(page.Items, s)
	}
	if err := rows.Err(); err != nil {
		return TicketPage{}, fmt.Errorf("list tickets: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.Next = &TicketCursor{OpenedAt: last.OpenedAt, TicketID: last.TicketID}
	}
	return page, nil
}

func scanSummary(rows *sql.Rows) (TicketSummary, error) {
	var (
		s                                     TicketSummary
		resolution, nextKind, nextAt, closed  sql.NullString
		opened, updated                       string
		locked, amountPaid, requested, refund int64
		revision, position                    int64
	)
	if err := rows.Scan(&s.TicketID, &s.OrderID, &s.BuyerID, &s.MerchantID, &s.Kind, &s.Reason, &s.Status, &resolution,
		&locked, &s.Currency, &amountPaid, &requested, &refund, &nextKind, &nextAt, &opened, &updated, &closed,
		&revision, &position); err != nil {
		return s, err
	}
	s.Resolution, s.Locked, s.NextDeadline = resolution.String, locked != 0, nextKind.String
	s.AmountPaid, s.Requested, s.Refunded = amountPaid, requested, refund
	s.Revision, s.ProjectedThrough = uint64(revision), uint64(position)
	var err error
	if s.OpenedAt, err = projections.ParseTime(opened); err != nil {
		return s, err
	}
	if s.UpdatedAt, err = projections.ParseTime(updated); err != nil {
		return s, err
	}
	if s.NextDeadlineAt, err = projections.ParseNullTime(nextAt); err != nil {
		return s, err
	}
	if s.ClosedAt, err = projections.ParseNullTime(closed); err != nil {
		return s, err
	}
	return s, nil
}

// AuditTrail implements ReadModel with projections.Audit.
func (p ProjectionReads) AuditTrail(ctx context.Context, f AuditFilter) (AuditPage, error) {
	limit := f.Limit
	if limit <= 0 || limit > MaxPageSize {
		limit = DefaultPageSize
	}
	// One row more than asked says whether there is a next page.
	rows, err := projections.Audit(ctx, p.DB, projections.AuditQuery{TicketID: f.TicketID, AfterPosition: f.AfterPosition, Limit: limit + 1})
	if err != nil {
		return AuditPage{}, fmt.Errorf("audit trail of %s: %w", f.TicketID, err)
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = AuditEntry{Position: r.Position, EventID: r.EventID, Revision: r.Revision, OccurredAt: r.OccurredAt, ActorRole: r.ActorRole,
			ActorID: r.ActorID, Type: r.EventType, Summary: r.Summary, CommandID: r.CommandID, CorrelationID: r.CorrelationID, Hash: r.Hash}
	}
	return AuditPage{Entries: out, More: more}, nil
}

// Scores implements ReadModel.
func (p ProjectionReads) Scores(ctx context.Context, windowEnd time.Time, merchantID string) ([]MerchantScore, error) {
	all, err := projections.Scores(ctx, p.DB, windowEnd, p.Policy)
	if err != nil {
		return nil, fmt.Errorf("merchant scores: %w", err)
	}
	out := []MerchantScore{}
	for _, s := range all {
		if merchantID != "" && s.MerchantID != merchantID {
			continue
		}
		b := make(map[string]int, len(s.Breakdown))
		for reason, points := range s.Breakdown {
			b[string(reason)] = points
		}
		out = append(out, MerchantScore{MerchantID: s.MerchantID, WindowStart: s.WindowStart, WindowEnd: s.WindowEnd,
			Score: s.Score, Breakdown: b, Facts: s.Facts, Flagged: s.Flagged, PolicyVersion: s.PolicyVersion,
			DisputesOpened: s.DisputesOpened, Interventions: s.Interventions, InterventionRate: s.InterventionRate,
			Rulings: s.Rulings, RulingsWon: s.RulingsWon, RulingsLost: s.RulingsLost, MerchantLiableRate: s.MerchantLiableRate,
			FirstResponses: s.FirstResponses, MedianFirstResponse: s.MedianFirstResponse.Seconds()})
	}
	return out, nil
}

// Checkpoints implements ReadModel.
func (p ProjectionReads) Checkpoints(ctx context.Context) (map[string]uint64, error) {
	out := map[string]uint64{}
	for _, name := range []string{projections.TicketStatusName, projections.MerchantPenaltiesName, projections.AuditTrailName} {
		pos, err := p.DB.Checkpoint(ctx, name)
		if err != nil {
			return nil, err
		}
		out[name] = pos
	}
	return out, nil
}
