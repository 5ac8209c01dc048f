package projections

import (
	"context"
	"database/sql"

	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore/follow"
)

// AuditTrailName is the audit trail's projection name.
const AuditTrailName = "audit_trail"

// AuditTrail is the audit trail: one row per event of the global log, in
// position order, with who did what to which ticket, a one-line summary, the
// command that caused it and the event's hash.
type AuditTrail struct {
	db *DB
	// pending are the rows of the events folded since the last commit,
	// built as they are folded (see rows).
	pending rows
	// maxPending is the most rows held for one commit (maxPendingAudit;
	// tests lower it).
	maxPending int
}

// NewAuditTrail returns the audit-trail projection writing to db.
func NewAuditTrail(db *DB) *AuditTrail {
	return &AuditTrail{db: db, pending: rows{cols: auditCols}, maxPending: maxPendingAudit}
}

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
	a.pending.add(func(args []any) []any {
		return append(args, int64(ev.Record.Position), env.ID.String(), nullString(events.TicketOf(env.Stream)), env.Stream,
			int64(env.Revision), formatTime(env.OccurredAt), string(env.Actor.Role), env.Actor.ID, env.Type, events.Summary(env),
			env.CommandID, env.CorrelationID, env.Hash)
	})
	return nil
}

const auditCols = 13

// auditChunk is the rows per INSERT statement where rows are bound
// (PostgreSQL, or SQLite rows the row feed cannot take: see chunked): one
// statement per many rows saves most of the per-statement cost, and stays
// under SQLite's limit of 32766 bound parameters.
const auditChunk = 128

// Flush implements Projection.
func (a *AuditTrail) Flush(ctx context.Context, tx *sql.Tx) error {
	return chunked(ctx, tx, a.db, `INSERT INTO rm_audit_trail (position, event_id, ticket_id, stream, revision, occurred_at,
		actor_role, actor_id, event_type, summary, command_id, correlation_id, hash)`, ``, auditChunk, &a.pending)
}

// Committed implements Projection.
func (a *AuditTrail) Committed() { a.pending.reset() }

// maxPendingAudit is the most audit rows held for one commit.
const maxPendingAudit = 4096

// Full implements Holder.
func (a *AuditTrail) Full() bool { return a.pending.len() >= a.maxPending }

// Reset implements Projection.
func (a *AuditTrail) Reset() { a.pending = rows{cols: auditCols} }
