package projections

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore/follow"
)

// AuditTrailName is the audit trail's projection name.
const AuditTrailName = "audit_trail"

// AuditTrail is the audit trail: one row per event of the global log, in
// position order, with who did what to which ticket, a one-line summary, the
// command that caused it and the event's hash.
type AuditTrail struct {
	db      *DB
	pending []auditRow
	// maxPending is the most rows held for one commit (maxPendingAudit;
	// tests lower it).
	maxPending int
}

type auditRow struct {
	position                            uint64
	eventID, ticket, stream             string
	revision                            uint64
	occurredAt, actorRole, actorID, typ string
	summary, commandID, correlationID   string
	hash                                string
}

// NewAuditTrail returns the audit-trail projection writing to db.
func NewAuditTrail(db *DB) *AuditTrail { return &AuditTrail{db: db, maxPending: maxPendingAudit} }

// Name implements Projection.
func (*AuditTrail) Name() string { return AuditTrailName }

// Schema implements Projection.
func (*AuditTrail) Schema() Schema {
	return Schema{
		Version: 2, // 2: TIMESTAMPTZ occurred_at
		Tables: []Table{{Name: "rm_audit_trail", DDL: `CREATE TABLE IF NOT EXISTS rm_audit_trail (
			position       BIGINT NOT NULL PRIMARY KEY,
			event_id       TEXT   NOT NULL,
			ticket_id      TEXT,
			stream         TEXT   NOT NULL,
			revision       BIGINT NOT NULL,
			occurred_at    TIMESTAMPTZ NOT NULL,
			actor_role     TEXT   NOT NULL,
			actor_id       TEXT   NOT NULL,
			event_type     TEXT   NOT NULL,
			summary        TEXT   NOT NULL,
			command_id     TEXT   NOT NULL,
			correlation_id TEXT   NOT NULL,
			hash           TEXT   NOT NULL
		)`}},
		// One index: a ticket's trail. Positions follow time closely, so
		// a time range is cheap to scan without one, and a million-row
		// index costs the rebuild a second.
		Indexes: []string{
			`CREATE INDEX IF NOT EXISTS rm_audit_trail_ticket ON rm_audit_trail (ticket_id, revision)`,
		},
	}
}

// Apply implements Projection.
func (a *AuditTrail) Apply(_ context.Context, ev follow.Event) error {
	env := ev.Env
	a.pending = append(a.pending, auditRow{
		position: ev.Record.Position, eventID: env.ID.String(), ticket: events.TicketOf(env.Stream), stream: env.Stream,
		revision: env.Revision, occurredAt: formatTime(env.OccurredAt), actorRole: string(env.Actor.Role), actorID: env.Actor.ID,
		typ: env.Type, summary: events.Summary(env), commandID: env.CommandID, correlationID: env.CorrelationID, hash: env.Hash,
	})
	return nil
}

const auditCols = 13

// auditChunk is the rows per INSERT statement: one statement per many rows
// saves most of the per-statement cost, and stays under SQLite's limit of
// 32766 bound parameters.
const auditChunk = 128

// Flush implements Projection.
func (a *AuditTrail) Flush(ctx context.Context, tx *sql.Tx) error {
	return insertChunked(ctx, tx, a.db, `INSERT INTO rm_audit_trail (position, event_id, ticket_id, stream, revision, occurred_at,
		actor_role, actor_id, event_type, summary, command_id, correlation_id, hash) VALUES `, auditCols, auditChunk, len(a.pending),
		func(i int, args []any) []any {
			r := a.pending[i]
			return append(args, int64(r.position), r.eventID, nullString(r.ticket), r.stream, int64(r.revision), r.occurredAt,
				r.actorRole, r.actorID, r.typ, r.summary, r.commandID, r.correlationID, r.hash)
		})
}

// Committed implements Projection.
func (a *AuditTrail) Committed() { a.pending = a.pending[:0] }

// maxPendingAudit is the most audit rows held for one commit.
const maxPendingAudit = 4096

// Full implements Holder.
func (a *AuditTrail) Full() bool { return len(a.pending) >= a.maxPending }

// Reset implements Projection.
func (a *AuditTrail) Reset() { a.pending = nil }

// insertChunked inserts n rows of cols columns with multi-row INSERTs of up
// to chunk rows; row appends the i-th row's values to args.
func insertChunked(ctx context.Context, tx *sql.Tx, db *DB, prefix string, cols, chunk, n int, row func(i int, args []any) []any) error {
	return chunked(ctx, tx, db, prefix, "", cols, chunk, n, row)
}

// chunked runs prefix + VALUES list + suffix for n rows, chunk rows at a
// time, with statements prepared once per database.
func chunked(ctx context.Context, tx *sql.Tx, db *DB, prefix, suffix string, cols, chunk, n int, row func(i int, args []any) []any) error {
	if n == 0 {
		return nil
	}
	if ok, err := db.driverRows(ctx, prefix, suffix, cols, chunk, n, row); ok {
		return err
	}
	args := make([]any, 0, min(n, chunk)*cols)
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		args = args[:0]
		for i := start; i < end; i++ {
			args = row(i, args)
		}
		st, err := db.stmt(ctx, prefix+placeholders(end-start, cols)+suffix)
		if err != nil {
			return err
		}
		if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("write rows %d-%d: %w", start, end, err)
		}
	}
	return nil
}
