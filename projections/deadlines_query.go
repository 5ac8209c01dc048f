package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/commands/scheduler"
	"github.com/disputes-ledger/disputes/events"
)

// OpenDeadline is one row of the open-deadlines read model. Its due time
// is stored to the microsecond, as every time of the read models.
type OpenDeadline struct {
	TicketID string
	Kind     events.DeadlineKind
	DueAt    time.Time
}

// DueDeadlines returns up to limit open deadlines due at or before now,
// earliest first (then by ticket and kind), starting after the key after:
// a keyset page, so that a reader walks every due deadline without an
// offset. The zero OpenDeadline starts at the first.
func DueDeadlines(ctx context.Context, db *DB, now time.Time, after OpenDeadline, limit int) ([]OpenDeadline, error) {
	st, err := db.stmt(ctx, `SELECT ticket_id, kind, due_at FROM rm_deadlines
		WHERE due_at <= ? AND (due_at > ? OR (due_at = ? AND (ticket_id > ? OR (ticket_id = ? AND kind > ?))))
		ORDER BY due_at, ticket_id, kind LIMIT ?`)
	if err != nil {
		return nil, fmt.Errorf("due deadlines: %w", err)
	}
	from := formatTime(after.DueAt)
	rows, err := st.QueryContext(ctx, formatTime(now), from, from, after.TicketID, after.TicketID, string(after.Kind), limit)
	if err != nil {
		return nil, fmt.Errorf("due deadlines: %w", err)
	}
	defer rows.Close()
	out := make([]OpenDeadline, 0, limit)
	for rows.Next() {
		var (
			d    OpenDeadline
			kind string
			at   timeColumn
		)
		if err := rows.Scan(&d.TicketID, &kind, &at); err != nil {
			return nil, fmt.Errorf("due deadlines: %w", err)
		}
		d.Kind, d.DueAt = events.DeadlineKind(kind), at.t
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("due deadlines: %w", err)
	}
	return out, nil
}

// NextDeadlineAfter returns the earliest due time of an open deadline due
// after t, and false when none is.
func NextDeadlineAfter(ctx context.Context, db *DB, t time.Time) (time.Time, bool, error) {
	st, err := db.stmt(ctx, `SELECT due_at FROM rm_deadlines WHERE due_at > ? ORDER BY due_at LIMIT 1`)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next deadline: %w", err)
	}
	var at timeColumn
	err = st.QueryRowContext(ctx, formatTime(t)).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next deadline: %w", err)
	}
	return at.t, true, nil
}

// DeadlineSource is the open-deadlines read model in db as the scheduler
// reads it (scheduler.Deadlines).
func DeadlineSource(db *DB) scheduler.Deadlines { return deadlineSource{db} }

type deadlineSource struct{ db *DB }

func (s deadlineSource) Due(ctx context.Context, now time.Time, after scheduler.Due, limit int) ([]scheduler.Due, error) {
	rows, err := DueDeadlines(ctx, s.db, now, OpenDeadline(after), limit)
	out := make([]scheduler.Due, len(rows))
	for i, row := range rows {
		out[i] = scheduler.Due(row)
	}
	return out, err
}

func (s deadlineSource) NextAfter(ctx context.Context, t time.Time) (time.Time, bool, error) {
	return NextDeadlineAfter(ctx, s.db, t)
}
