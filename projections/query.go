package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// This file is the read side's one way into the read models: the CLI's
// queries and the HTTP API's lists both call these functions and print
// these types, so a ticket's status, a page's cursor and a row's names are
// the same wherever they are read. Adding a column to rm_ticket_status
// touches the projection (tickets.go) and TicketSummary with its scan
// below, nothing else.

// TicketFilter selects tickets of the ticket-status read model. Zero
// fields do not filter.
type TicketFilter struct {
	Status     string
	BuyerID    string
	MerchantID string
	Kind       string
	// OpenedFrom (inclusive) and OpenedTo (exclusive) bound the opening time.
	OpenedFrom, OpenedTo time.Time
	// DeadlineBefore keeps tickets whose next open deadline is due at or
	// before it.
	DeadlineBefore time.Time
	// Now, when set, marks each ticket whose next deadline is already due
	// at Now as overdue (TicketSummary.NextDeadlineOverdue): a read model
	// has no clock of its own.
	Now time.Time
	// After starts the page after this ticket (a cursor from a previous
	// page); nil starts at the first.
	After *TicketCursor
	// Limit is the page size; 0 means every matching ticket.
	Limit int
}

// ErrBadFilter is returned (wrapped) by TicketFilter.Validate.
var ErrBadFilter = errors.New("unknown filter value")

// Validate refuses a status or kind no ticket can have: a misspelt filter
// would otherwise read as "no such tickets".
func (f TicketFilter) Validate() error {
	if f.Status != "" && !slices.Contains(domain.Statuses(), domain.Status(f.Status)) {
		return fmt.Errorf("%w: status %q (want one of %s)", ErrBadFilter, f.Status, joinValues(domain.Statuses()))
	}
	if f.Kind != "" && !slices.Contains(events.TicketKinds(), events.TicketKind(f.Kind)) {
		return fmt.Errorf("%w: kind %q (want one of %s)", ErrBadFilter, f.Kind, joinValues(events.TicketKinds()))
	}
	return nil
}

func joinValues[T ~string](vs []T) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return strings.Join(out, ", ")
}

// TicketCursor is the position of a ticket in list order (opened_at,
// ticket_id): a keyset cursor, stable while tickets are added.
type TicketCursor struct {
	OpenedAt time.Time
	TicketID string
}

// TicketPage is one page of tickets in (opened_at, ticket_id) order.
type TicketPage struct {
	Items []TicketSummary
	// HasMore says tickets follow the page; Next is then where the next
	// page starts (nil on the last page).
	HasMore bool
	Next    *TicketCursor
}

// TicketSummary is a ticket's row in rm_ticket_status, under the names the
// CLI's JSON, the API and the table's columns share (projected_through is
// the column last_position).
type TicketSummary struct {
	TicketID       string     `json:"ticket_id"`
	OrderID        string     `json:"order_id"`
	BuyerID        string     `json:"buyer_id"`
	MerchantID     string     `json:"merchant_id"`
	Kind           string     `json:"kind"`
	Reason         string     `json:"reason"`
	Status         string     `json:"status"`
	Resolution     string     `json:"resolution,omitempty"`
	Locked         bool       `json:"locked"`
	Currency       string     `json:"currency"`
	AmountPaid     int64      `json:"amount_paid"`
	Requested      int64      `json:"requested"`
	Refunded       int64      `json:"refunded"`
	Compensation   int64      `json:"compensation"`
	NextDeadline   string     `json:"next_deadline,omitempty"`
	NextDeadlineAt *time.Time `json:"next_deadline_at,omitempty"`
	// NextDeadlineOverdue says the earliest open deadline was already past
	// due at TicketFilter.Now: missed and not fired yet, not "next".
	NextDeadlineOverdue bool       `json:"next_deadline_overdue,omitempty"`
	OpenedAt            time.Time  `json:"opened_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	ClosedAt            *time.Time `json:"closed_at,omitempty"`
	RulingOutcome       string     `json:"ruling_outcome,omitempty"`
	Liability           string     `json:"liability,omitempty"`
	IntervenedBy        string     `json:"intervened_by,omitempty"`
	Events              int        `json:"events"`
	Revision            uint64     `json:"revision"`
	ProjectedThrough    uint64     `json:"projected_through"`
}

const ticketSummaryColumns = `ticket_id, order_id, buyer_id, merchant_id, kind, reason, status, resolution, locked,
	currency, amount_paid, requested, refunded, compensation, next_deadline, next_deadline_at, opened_at,
	updated_at, closed_at, ruling_outcome, liability, intervened_by, events, revision, last_position`

func scanTicketSummary(rows *sql.Rows) (TicketSummary, error) {
	var (
		s                                   TicketSummary
		resolution, nextKind, rulingOutcome sql.NullString
		liability, intervenedBy             sql.NullString
		nextAt, closed                      nullTimeColumn
		opened, updated                     timeColumn
		revision, position                  int64
	)
	if err := rows.Scan(&s.TicketID, &s.OrderID, &s.BuyerID, &s.MerchantID, &s.Kind, &s.Reason, &s.Status, &resolution,
		&s.Locked, &s.Currency, &s.AmountPaid, &s.Requested, &s.Refunded, &s.Compensation, &nextKind, &nextAt, &opened,
		&updated, &closed, &rulingOutcome, &liability, &intervenedBy, &s.Events, &revision, &position); err != nil {
		return s, err
	}
	s.Resolution, s.NextDeadline, s.RulingOutcome = resolution.String, nextKind.String, rulingOutcome.String
	s.Liability, s.IntervenedBy = liability.String, intervenedBy.String
	s.OpenedAt, s.UpdatedAt, s.NextDeadlineAt, s.ClosedAt = opened.t, updated.t, nextAt.t, closed.t
	s.Revision, s.ProjectedThrough = uint64(revision), uint64(position)
	return s, nil
}

// Tickets returns one page of the tickets matching f.
func Tickets(ctx context.Context, db *DB, f TicketFilter) (TicketPage, error) {
	var w where
	w.add(f.Status != "", "status = ?", f.Status)
	w.add(f.BuyerID != "", "buyer_id = ?", f.BuyerID)
	w.add(f.MerchantID != "", "merchant_id = ?", f.MerchantID)
	w.add(f.Kind != "", "kind = ?", f.Kind)
	w.add(!f.OpenedFrom.IsZero(), "opened_at >= ?", formatTime(f.OpenedFrom))
	w.add(!f.OpenedTo.IsZero(), "opened_at < ?", formatTime(f.OpenedTo))
	w.add(!f.DeadlineBefore.IsZero(), "next_deadline_at <= ?", formatTime(f.DeadlineBefore))
	if f.After != nil {
		at := formatTime(f.After.OpenedAt)
		w.conds = append(w.conds, "(opened_at > ? OR (opened_at = ? AND ticket_id > ?))")
		w.args = append(w.args, at, at, f.After.TicketID)
	}
	stmt := `SELECT ` + ticketSummaryColumns + ` FROM rm_ticket_status` + w.clause() +
		` ORDER BY opened_at, ticket_id` + limitPlusOne(f.Limit)
	var page TicketPage
	err := query(ctx, db, stmt, w.args, func(rows *sql.Rows) error {
		s, err := scanTicketSummary(rows)
		if err != nil {
			return err
		}
		s.NextDeadlineOverdue = !f.Now.IsZero() && s.NextDeadlineAt != nil && !s.NextDeadlineAt.After(f.Now)
		page.Items = append(page.Items, s)
		return nil
	})
	if err != nil {
		return TicketPage{}, fmt.Errorf("query tickets: %w", err)
	}
	if f.Limit > 0 && len(page.Items) > f.Limit {
		page.Items = page.Items[:f.Limit]
		last := page.Items[f.Limit-1]
		page.HasMore, page.Next = true, &TicketCursor{OpenedAt: last.OpenedAt, TicketID: last.TicketID}
	}
	return page, nil
}

// StatusCount is how many tickets are in one status.
type StatusCount struct {
	Status     string `json:"status"`
	Resolution string `json:"resolution,omitempty"`
	Tickets    int    `json:"tickets"`
}

// StatusCounts counts tickets by status and, for closed ones, resolution,
// most frequent first.
func StatusCounts(ctx context.Context, db *DB) ([]StatusCount, error) {
	var out []StatusCount
	err := query(ctx, db, `SELECT status, coalesce(resolution, ''), count(*) FROM rm_ticket_status
		GROUP BY status, resolution ORDER BY count(*) DESC, status, resolution`, nil, func(rows *sql.Rows) error {
		var c StatusCount
		if err := rows.Scan(&c.Status, &c.Resolution, &c.Tickets); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count tickets by status: %w", err)
	}
	return out, nil
}

// AuditFilter selects rows of the audit trail. Zero fields do not filter.
type AuditFilter struct {
	TicketID string
	// MerchantID keeps the events of that merchant's tickets (as the
	// ticket-status read model knows them).
	MerchantID string
	EventType  string
	ActorRole  string
	// From (inclusive) and To (exclusive) bound the event time.
	From, To time.Time
	// AfterPosition starts the page after this global position (a cursor
	// from a previous page); 0 starts at the beginning.
	AfterPosition uint64
	// Limit is the page size; 0 means every matching row.
	Limit int
}

// AuditPage is one page of the audit trail in position order.
type AuditPage struct {
	Entries []AuditEntry
	// HasMore says rows follow the page, after its last entry's position.
	HasMore bool
}

// AuditEntry is one row of rm_audit_trail.
type AuditEntry struct {
	Position      uint64    `json:"position"`
	EventID       string    `json:"event_id"`
	TicketID      string    `json:"ticket_id"`
	Revision      uint64    `json:"revision"`
	OccurredAt    time.Time `json:"occurred_at"`
	ActorRole     string    `json:"actor_role"`
	ActorID       string    `json:"actor_id"`
	EventType     string    `json:"event_type"`
	Summary       string    `json:"summary"`
	CommandID     string    `json:"command_id"`
	CorrelationID string    `json:"correlation_id"`
	Hash          string    `json:"hash"`
}

// Audit returns one page of the audit rows matching f.
func Audit(ctx context.Context, db *DB, f AuditFilter) (AuditPage, error) {
	var w where
	w.add(f.TicketID != "", "ticket_id = ?", f.TicketID)
	w.add(f.MerchantID != "", "ticket_id IN (SELECT ticket_id FROM rm_ticket_status WHERE merchant_id = ?)", f.MerchantID)
	w.add(f.EventType != "", "event_type = ?", f.EventType)
	w.add(f.ActorRole != "", "actor_role = ?", f.ActorRole)
	w.add(!f.From.IsZero(), "occurred_at >= ?", formatTime(f.From))
	w.add(!f.To.IsZero(), "occurred_at < ?", formatTime(f.To))
	w.add(f.AfterPosition > 0, "position > ?", int64(f.AfterPosition))
	stmt := `SELECT position, event_id, coalesce(ticket_id, ''), revision, occurred_at, actor_role, actor_id, event_type,
		summary, command_id, correlation_id, hash FROM rm_audit_trail` + w.clause() + ` ORDER BY position` + limitPlusOne(f.Limit)
	var page AuditPage
	err := query(ctx, db, stmt, w.args, func(rows *sql.Rows) error {
		var (
			r             AuditEntry
			position, rev int64
			at            timeColumn
		)
		if err := rows.Scan(&position, &r.EventID, &r.TicketID, &rev, &at, &r.ActorRole, &r.ActorID, &r.EventType,
			&r.Summary, &r.CommandID, &r.CorrelationID, &r.Hash); err != nil {
			return err
		}
		r.Position, r.Revision, r.OccurredAt = uint64(position), uint64(rev), at.t
		page.Entries = append(page.Entries, r)
		return nil
	})
	if err != nil {
		return AuditPage{}, fmt.Errorf("query audit trail: %w", err)
	}
	if f.Limit > 0 && len(page.Entries) > f.Limit {
		page.Entries, page.HasMore = page.Entries[:f.Limit], true
	}
	return page, nil
}

// where collects the conditions of a query.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(ok bool, cond string, arg any) {
	if ok {
		w.conds, w.args = append(w.conds, cond), append(w.args, arg)
	}
}

func (w *where) clause() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// limitPlusOne asks for one row more than a page holds, which says whether
// another page follows; n <= 0 asks for every row.
func limitPlusOne(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(" LIMIT %d", n+1)
}

// LatestEventTime returns when the last event in the audit trail occurred
// (the zero time for an empty trail): a natural end for a score window over
// a simulated or imported ledger whose clock is not today's.
func LatestEventTime(ctx context.Context, db *DB) (time.Time, error) {
	var at nullTimeColumn
	if err := db.SQL.QueryRowContext(ctx, `SELECT max(occurred_at) FROM rm_audit_trail`).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("latest event time: %w", err)
	}
	if at.t == nil {
		return time.Time{}, nil
	}
	return *at.t, nil
}

// PenaltyFactRow is one penalty fact of rm_penalty_facts: the points the
// event at Position (revision Revision of its ticket) earned the merchant,
// and the position of the appeal decision that reversed them, if any.
type PenaltyFactRow struct {
	Position      uint64    `json:"position"`
	Revision      uint64    `json:"revision"`
	TicketID      string    `json:"ticket_id"`
	MerchantID    string    `json:"merchant_id"`
	OccurredAt    time.Time `json:"occurred_at"`
	Reason        string    `json:"reason"`
	Points        int       `json:"points"`
	PolicyVersion string    `json:"policy_version"`
	ReversedBy    uint64    `json:"reversed_by_position,omitempty"`
}

// PenaltyFacts returns the penalty facts of one ticket in position order,
// each with its event's revision from the audit trail.
func PenaltyFacts(ctx context.Context, db *DB, ticketID string) ([]PenaltyFactRow, error) {
	stmt := `SELECT f.position, coalesce(a.revision, -1), f.ticket_id, f.merchant_id, f.occurred_at, f.reason, f.points,
		f.policy_version, coalesce(f.reversed_by_position, 0)
		FROM rm_penalty_facts f LEFT JOIN rm_audit_trail a ON a.position = f.position
		WHERE f.ticket_id = ? ORDER BY f.position`
	var out []PenaltyFactRow
	err := query(ctx, db, stmt, []any{ticketID}, func(rows *sql.Rows) error {
		var (
			r                  PenaltyFactRow
			position, reversed int64
			rev                int64
			at                 timeColumn
		)
		if err := rows.Scan(&position, &rev, &r.TicketID, &r.MerchantID, &at, &r.Reason, &r.Points, &r.PolicyVersion, &reversed); err != nil {
			return err
		}
		if rev < 0 {
			return fmt.Errorf("penalty fact at position %d has no audit-trail row", position)
		}
		r.Position, r.Revision, r.ReversedBy, r.OccurredAt = uint64(position), uint64(rev), uint64(reversed), at.t
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("query penalty facts of %s: %w", ticketID, err)
	}
	return out, nil
}
