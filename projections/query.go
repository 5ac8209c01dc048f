package projections

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// TicketQuery selects rows of the ticket-status read model. Zero fields do
// not filter.
type TicketQuery struct {
	State      string
	MerchantID string
	// Since (inclusive) and Until (exclusive) bound the opening time.
	Since, Until time.Time
	// AfterPosition keeps the rows after this global position (a page's
	// start); 0 keeps all.
	AfterPosition uint64
	// Limit caps the rows; 0 means no limit.
	Limit int
}

// TicketRow is one row of rm_ticket_status.
type TicketRow struct {
	TicketID         string     `json:"ticket_id"`
	OrderID          string     `json:"order_id"`
	BuyerID          string     `json:"buyer_id"`
	MerchantID       string     `json:"merchant_id"`
	Kind             string     `json:"kind"`
	Reason           string     `json:"reason"`
	State            string     `json:"state"`
	Locked           bool       `json:"locked"`
	Currency         string     `json:"currency"`
	AmountPaid       int64      `json:"amount_paid"`
	Requested        int64      `json:"requested"`
	Refunded         int64      `json:"refunded"`
	Compensation     int64      `json:"compensation"`
	NextDeadlineKind string     `json:"next_deadline_kind,omitempty"`
	NextDeadlineAt   *time.Time `json:"next_deadline_at,omitempty"`
	OpenedAt         time.Time  `json:"opened_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
	ClosedAt         *time.Time `json:"closed_at,omitempty"`
	Resolution       string     `json:"resolution,omitempty"`
	RulingOutcome    string     `json:"ruling_outcome,omitempty"`
	Liability        string     `json:"liability,omitempty"`
	IntervenedBy     string     `json:"intervened_by,omitempty"`
	Events           int        `json:"events"`
}

// Tickets returns the tickets matching q in opening order.
func Tickets(ctx context.Context, db *DB, q TicketQuery) ([]TicketRow, error) {
	var w where
	w.add(q.State != "", "state = ?", q.State)
	w.add(q.MerchantID != "", "merchant_id = ?", q.MerchantID)
	w.add(!q.Since.IsZero(), "opened_at >= ?", formatTime(q.Since))
	w.add(!q.Until.IsZero(), "opened_at < ?", formatTime(q.Until))
	stmt := `SELECT ticket_id, order_id, buyer_id, merchant_id, kind, reason, state, locked, currency, amount_paid,
		requested, refunded, compensation, next_deadline_kind, next_deadline_at, opened_at, updated_at, closed_at,
		resolution, ruling_outcome, liability, intervened_by, events
		FROM rm_ticket_status` + w.clause() + ` ORDER BY opened_at, ticket_id` + limit(q.Limit)
	var out []TicketRow
	err := query(ctx, db, stmt, w.args, func(rows *sql.Rows) error {
		var (
			r                                      TicketRow
			locked                                 int64
			nextKind, nextAt, closed, resolution   sql.NullString
			rulingOutcome, liability, intervenedBy sql.NullString
			opened, updated                        string
		)
		if err := rows.Scan(&r.TicketID, &r.OrderID, &r.BuyerID, &r.MerchantID, &r.Kind, &r.Reason, &r.State, &locked,
			&r.Currency, &r.AmountPaid, &r.Requested, &r.Refunded, &r.Compensation, &nextKind, &nextAt, &opened, &updated,
			&closed, &resolution, &rulingOutcome, &liability, &intervenedBy, &r.Events); err != nil {
			return err
		}
		r.Locked, r.NextDeadlineKind, r.Resolution = locked != 0, nextKind.String, resolution.String
		r.RulingOutcome, r.Liability, r.IntervenedBy = rulingOutcome.String, liability.String, intervenedBy.String
		var err error
		if r.OpenedAt, err = parseTime(opened); err != nil {
			return err
		}
		if r.UpdatedAt, err = parseTime(updated); err != nil {
			return err
		}
		if r.NextDeadlineAt, err = parseNullTime(nextAt); err != nil {
			return err
		}
		if r.ClosedAt, err = parseNullTime(closed); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("query tickets: %w", err)
	}
	return out, nil
}

// StateCount is how many tickets are in one state.
type StateCount struct {
	State      string `json:"state"`
	Resolution string `json:"resolution,omitempty"`
	Tickets    int    `json:"tickets"`
}

// StateCounts counts tickets by state and, for closed ones, resolution,
// most frequent first.
func StateCounts(ctx context.Context, db *DB) ([]StateCount, error) {
	var out []StateCount
	err := query(ctx, db, `SELECT state, coalesce(resolution, ''), count(*) FROM rm_ticket_status
		GROUP BY state, resolution ORDER BY count(*) DESC, state, resolution`, nil, func(rows *sql.Rows) error {
		var c StateCount
		if err := rows.Scan(&c.State, &c.Resolution, &c.Tickets); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count tickets by state: %w", err)
	}
	return out, nil
}

// AuditQuery selects rows of the audit trail. Zero fields do not filter.
type AuditQuery struct {
	TicketID string
	// MerchantID keeps the events of that merchant's tickets (as the
	// ticket-status read model knows them).
	MerchantID string
	EventType  string
	ActorRole  string
	// Since (inclusive) and Until (exclusive) bound the event time.
	Since, Until time.Time
	// AfterPosition keeps the rows after this global position (a page's
	// start); 0 keeps all.
	AfterPosition uint64
	// Limit caps the rows; 0 means no limit.
	Limit int
}

// AuditRow is one row of rm_audit_trail.
type AuditRow struct {
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

// Audit returns the audit rows matching q in position order.
func Audit(ctx context.Context, db *DB, q AuditQuery) ([]AuditRow, error) {
	var w where
	w.add(q.TicketID != "", "ticket_id = ?", q.TicketID)
	w.add(q.MerchantID != "", "ticket_id IN (SELECT ticket_id FROM rm_ticket_status WHERE merchant_id = ?)", q.MerchantID)
	w.add(q.EventType != "", "event_type = ?", q.EventType)
	w.add(q.ActorRole != "", "actor_role = ?", q.ActorRole)
	w.add(!q.Since.IsZero(), "occurred_at >= ?", formatTime(q.Since))
	w.add(!q.Until.IsZero(), "occurred_at < ?", formatTime(q.Until))
	w.add(q.AfterPosition > 0, "position > ?", int64(q.AfterPosition))
	stmt := `SELECT position, event_id, coalesce(ticket_id, ''), revision, occurred_at, actor_role, actor_id, event_type,
		summary, command_id, correlation_id, hash FROM rm_audit_trail` + w.clause() + ` ORDER BY position` + limit(q.Limit)
	var out []AuditRow
	err := query(ctx, db, stmt, w.args, func(rows *sql.Rows) error {
		var (
			r             AuditRow
			position, rev int64
			at            string
		)
		if err := rows.Scan(&position, &r.EventID, &r.TicketID, &rev, &at, &r.ActorRole, &r.ActorID, &r.EventType,
			&r.Summary, &r.CommandID, &r.CorrelationID, &r.Hash); err != nil {
			return err
		}
		r.Position, r.Revision = uint64(position), uint64(rev)
		var err error
		if r.OccurredAt, err = parseTime(at); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("query audit trail: %w", err)
	}
	return out, nil
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

func limit(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(" LIMIT %d", n)
}

// LatestEventTime returns when the last event in the audit trail occurred
// (the zero time for an empty trail): a natural end for a score window over
// a simulated or imported ledger whose clock is not today's.
func LatestEventTime(ctx context.Context, db *DB) (time.Time, error) {
	var at sql.NullString
	if err := db.SQL.QueryRowContext(ctx, `SELECT max(occurred_at) FROM rm_audit_trail`).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("latest event time: %w", err)
	}
	t, err := parseNullTime(at)
	if err != nil || t == nil {
		return time.Time{}, err
	}
	return *t, nil
}
