package projections

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore/follow"
)

// TicketStatusName is the ticket-status projection's name.
const TicketStatusName = "ticket_status"

// TicketStatus is one row per ticket with its current state. The state is
// folded by domain.Ticket.Apply, the same code the write path uses, so the
// read model can never disagree with the aggregate; the row keeps the
// ticket's domain.Snapshot, what that fold needs to carry on from the
// stored row after a restart.
type TicketStatus struct {
	db       *DB
	cache    map[string]*ticketEntry
	dirty    []*ticketEntry
	rows     rows // the dirty tickets' rows, once prepared
	prepared bool
	// snaps are the dirty tickets' snapshots, by index in dirty, as
	// prepare wrote their rows: Committed cuts an open ticket down to its
	// own, so each is taken once per commit.
	snaps    []domain.Snapshot
	maxCache int
	upsert   string // INSERT INTO … (columns), which the rows follow
	conflict string // its ON CONFLICT clause
	load     string
}

// ticketEntry is a ticket as the projection holds it in memory.
type ticketEntry struct {
	t             domain.Ticket
	rulingOutcome events.Outcome // the ruling's, then the final terms'
	evidence      int
	position      uint64
	dirty         bool
}

// DefaultTicketCache is how many tickets a per-ticket read model keeps in
// memory between commits, so that a busy ticket is not read back for every
// page; past it, the least recently touched half are let go after the next
// commit. It bounds what a projection holds whatever the log's length
// (about a kilobyte a ticket across the read models).
const DefaultTicketCache = 20_000

// ticketColumns are rm_ticket_status's columns in insert order.
var ticketColumns = []string{
	"ticket_id", "order_id", "buyer_id", "merchant_id", "kind", "reason", "currency",
	"status", "locked", "amount_paid", "requested", "refunded", "compensation", "order_shipped",
	"next_deadline", "next_deadline_at", "open_deadlines",
	"opened_at", "updated_at", "closed_at", "resolution", "ruling_outcome", "liability",
	"intervened_by", "intervened_at", "appealed_by", "appeal_decision", "sla_breached", "first_response_at",
	"messages", "vague_messages", "evidence_items", "events", "revision", "last_position", "expiry_effect",
	"return_status",
}

// NewTicketStatus returns the ticket-status projection over db.
func NewTicketStatus(db *DB) *TicketStatus {
	set := make([]string, 0, len(ticketColumns)-1)
	for _, c := range ticketColumns[1:] {
		set = append(set, c+" = excluded."+c)
	}
	return &TicketStatus{
		db: db, cache: map[string]*ticketEntry{}, maxCache: DefaultTicketCache, rows: rows{cols: len(ticketColumns)},
		upsert:   `INSERT INTO rm_ticket_status (` + strings.Join(ticketColumns, ", ") + `)`,
		conflict: ` ON CONFLICT (ticket_id) DO UPDATE SET ` + strings.Join(set, ", "),
		load:     `SELECT ` + strings.Join(ticketColumns, ", ") + ` FROM rm_ticket_status WHERE ticket_id = ?`,
	}
}

// Name implements Projection.
func (*TicketStatus) Name() string { return TicketStatusName }

// Schema implements Projection.
func (*TicketStatus) Schema() Schema {
	return Schema{
		Version: 4, // 2: expiry_effect. 3: status (was state), TIMESTAMPTZ and BOOLEAN columns. 4: return_status
		Tables: []Table{{Name: "rm_ticket_status", DDL: `CREATE TABLE IF NOT EXISTS rm_ticket_status (
			ticket_id          TEXT   NOT NULL PRIMARY KEY,
			order_id           TEXT   NOT NULL,
			buyer_id           TEXT   NOT NULL,
			merchant_id        TEXT   NOT NULL,
			kind               TEXT   NOT NULL,
			reason             TEXT   NOT NULL,
			currency           TEXT   NOT NULL,
			status             TEXT   NOT NULL,
			locked             BOOLEAN NOT NULL,
			amount_paid        BIGINT NOT NULL,
			requested          BIGINT NOT NULL,
			refunded           BIGINT NOT NULL,
			compensation       BIGINT NOT NULL,
			order_shipped      BOOLEAN NOT NULL,
			next_deadline      TEXT,
			next_deadline_at   TIMESTAMPTZ,
			open_deadlines     TEXT   NOT NULL,
			opened_at          TIMESTAMPTZ NOT NULL,
			updated_at         TIMESTAMPTZ NOT NULL,
			closed_at          TIMESTAMPTZ,
			resolution         TEXT,
			ruling_outcome     TEXT,
			liability          TEXT,
			intervened_by      TEXT,
			intervened_at      TIMESTAMPTZ,
			appealed_by        TEXT,
			appeal_decision    TEXT,
			sla_breached       BOOLEAN NOT NULL,
			first_response_at  TIMESTAMPTZ,
			messages           BIGINT NOT NULL,
			vague_messages     BIGINT NOT NULL,
			evidence_items     BIGINT NOT NULL,
			events             BIGINT NOT NULL,
			revision           BIGINT NOT NULL,
			last_position      BIGINT NOT NULL,
			expiry_effect      TEXT,
			return_status      TEXT
		)`}},
		Indexes: []string{
			`CREATE INDEX IF NOT EXISTS rm_ticket_status_merchant ON rm_ticket_status (merchant_id, opened_at)`,
			`CREATE INDEX IF NOT EXISTS rm_ticket_status_status ON rm_ticket_status (status, opened_at)`,
		},
	}
}

// Apply implements Projection.
func (ts *TicketStatus) Apply(ctx context.Context, ev follow.Event) error {
	env := ev.Env
	id := events.TicketOf(env.Stream)
	if id == "" {
		return nil // not a ticket's stream: no row to keep
	}
	e, err := ts.entry(ctx, id, env)
	if err != nil {
		return err
	}
	if e.t.Events > 0 && env.Revision != e.t.Revision+1 {
		return refuse("ticket %s: revision %d follows revision %d", id, env.Revision, e.t.Revision)
	}
	// Folded in place (domain.Ticket.Fold): an entry's ticket shares no map
	// or slice with another ticket — it starts from the zero ticket, a row
	// read back or a detached snapshot — so copying it on every event, as
	// Apply does, would only feed the garbage collector.
	e.t.Fold(env)
	switch p := env.Payload.(type) {
	case events.EvidenceSubmitted:
		e.evidence += len(p.Items)
	case events.RulingRecorded:
		e.rulingOutcome = p.Outcome
	case events.RulingFinalized:
		e.rulingOutcome = p.Outcome
	}
	e.position = ev.Record.Position
	ts.prepared = false
	if !e.dirty {
		e.dirty = true
		ts.dirty = append(ts.dirty, e)
	}
	return nil
}

// entry returns the ticket's entry: cached, read back, or new for the
// ticket's opening event.
func (ts *TicketStatus) entry(ctx context.Context, id string, env events.Envelope) (*ticketEntry, error) {
	return cachedEntry(ctx, ts.cache, id, env, ts.read, func() error {
		return refuse("%s for ticket %s, which was never opened", env.Type, id)
	})
}

// prepare builds the dirty tickets' rows (see preparer), in key order:
// each index page is then visited once for all its rows of the commit,
// not once per row.
func (ts *TicketStatus) prepare() error {
	if ts.prepared {
		return nil
	}
	slices.SortFunc(ts.dirty, func(a, b *ticketEntry) int { return strings.Compare(a.t.ID, b.t.ID) })
	ts.rows.reset()
	ts.rows.grow(len(ts.dirty))
	n := len(ts.dirty)
	ts.snaps = slices.Grow(ts.snaps[:0], n)[:n]
	for i, e := range ts.dirty {
		s := &ts.snaps[i]
		*s = e.t.Snapshot()
		ts.rows.add(func(args []any) []any { return e.row(args, s) })
	}
	ts.prepared = true
	return nil
}

// Flush implements Projection.
func (ts *TicketStatus) Flush(ctx context.Context, tx *sql.Tx) error {
	if err := ts.prepare(); err != nil {
		return err
	}
	return chunked(ctx, tx, ts.db, ts.upsert, ts.conflict, 64, &ts.rows)
}

// Committed implements Projection.
func (ts *TicketStatus) Committed() {
	for i, e := range ts.dirty {
		e.dirty = false
		if e.t.Closed() {
			// A closed ticket takes no further event (domain.Decide refuses
			// every command to it): it leaves the cache at once, without
			// being detached first — most tickets of a rebuild open and
			// close between two commits. One that did take an event would
			// be read back from its row, as after an eviction.
			delete(ts.cache, e.t.ID)
			continue
		}
		if ts.prepared {
			e.t = detached(ts.snaps[i]).Ticket()
		} else { // committed without prepare (nothing calls it so)
			e.t = detachedTicket(e.t)
		}
		e.rulingOutcome = interned(e.rulingOutcome)
	}
	clear(ts.dirty) // the closed tickets' entries hold their events' bytes
	clear(ts.snaps) // and their snapshots the events' strings
	ts.dirty, ts.snaps = ts.dirty[:0], ts.snaps[:0]
	ts.rows.reset()
	ts.prepared = false
	evictOldest(ts.cache, ts.maxCache, func(e *ticketEntry) uint64 { return e.position })
}

// Full implements Holder: the cache, which holds every pending row, is
// full.
func (ts *TicketStatus) Full() bool { return len(ts.cache) > ts.maxCache }

// Reset implements Projection.
func (ts *TicketStatus) Reset() {
	ts.cache = map[string]*ticketEntry{}
	ts.dirty, ts.snaps = nil, nil
	ts.rows, ts.prepared = rows{cols: len(ticketColumns)}, false
}

// row appends the entry's column values in ticketColumns order: the
// ticket's domain.Snapshot s, which is what the next events need (see
// read), beside the columns derived from it for readers.
func (e *ticketEntry) row(args []any, s *domain.Snapshot) []any {
	t := &e.t
	var nextKind, nextAt any
	if k, at, ok := t.NextDeadline(); ok {
		nextKind, nextAt = string(k), formatTime(at)
	}
	var appealedBy any
	if s.AppealedBy != "" {
		appealedBy = string(s.AppealedBy)
	}
	return append(args,
		s.ID, s.OrderID, s.BuyerID, s.MerchantID, string(s.Kind), string(s.Reason), s.Currency,
		string(s.Status), s.Locked, s.AmountPaid, s.Requested, s.Refunded, s.Compensation, s.OrderShipped,
		nextKind, nextAt, encodeDeadlines(t.OpenDeadlines()),
		formatTime(s.OpenedAt), formatTime(s.UpdatedAt), nullTime(s.ClosedAt), nullString(string(s.Resolution)),
		nullString(string(e.rulingOutcome)), nullString(string(s.Liability)),
		nullString(string(s.InterventionBy)), nullTime(s.InterventionAt), appealedBy, nullString(string(s.AppealDecision)),
		s.SLABreached, nullTime(s.FirstResponseAt),
		int64(s.Messages), int64(s.VagueMessages), int64(e.evidence), int64(s.Events), int64(s.Revision), int64(e.position),
		encodeEffect(s.Effect), nullString(string(s.ReturnStatus)),
	)
}

// read restores a ticket from its row: its domain.Snapshot, every field
// domain.Ticket.Apply needs to fold the ticket's next events (the domain's
// contract, tested there), and the projection's own counters.
func (ts *TicketStatus) read(ctx context.Context, id string) (*ticketEntry, error) {
	var (
		e                                                    ticketEntry
		s                                                    domain.Snapshot
		kind, reason, status                                 string
		nextKind, resolution, rulingOutcome                  sql.NullString
		liability, interventionBy, returnStatus              sql.NullString
		appealedBy, decision, effect                         sql.NullString
		nextAt, closed, interventionAt, firstResponse        nullTimeColumn
		opened, updated                                      timeColumn
		deadlines                                            string
		messages, vague, evidence, count, revision, position int64
	)
	st, err := ts.db.stmt(ctx, ts.load)
	if err != nil {
		return nil, err
	}
	err = st.QueryRowContext(ctx, id).Scan(
		&s.ID, &s.OrderID, &s.BuyerID, &s.MerchantID, &kind, &reason, &s.Currency,
		&status, &s.Locked, &s.AmountPaid, &s.Requested, &s.Refunded, &s.Compensation, &s.OrderShipped,
		&nextKind, &nextAt, &deadlines,
		&opened, &updated, &closed, &resolution, &rulingOutcome, &liability,
		&interventionBy, &interventionAt, &appealedBy, &decision, &s.SLABreached, &firstResponse,
		&messages, &vague, &evidence, &count, &revision, &position, &effect, &returnStatus)
	if err != nil {
		return nil, fmt.Errorf("read ticket %s: %w", id, err)
	}
	s.Kind, s.Reason, s.Status = events.TicketKind(kind), events.Reason(reason), domain.Status(status)
	s.OpenedAt, s.UpdatedAt, s.ClosedAt = opened.t, updated.t, closed.t
	s.InterventionAt, s.FirstResponseAt = interventionAt.t, firstResponse.t
	s.Resolution, s.Liability = domain.Resolution(resolution.String), events.Liability(liability.String)
	s.InterventionBy, s.ReturnStatus = events.Role(interventionBy.String), domain.ReturnStatus(returnStatus.String)
	s.Messages, s.VagueMessages, s.Events, s.Revision = int(messages), int(vague), int(count), uint64(revision)
	// Every recorded ruling has an outcome, so a ruling_outcome says one was recorded.
	s.Ruled = rulingOutcome.Valid
	s.AppealedBy, s.AppealDecision = events.Role(appealedBy.String), events.AppealDecision(decision.String)
	if s.Deadlines, err = decodeDeadlines(deadlines); err != nil {
		return nil, fmt.Errorf("read ticket %s: %w", id, err)
	}
	if s.Effect, err = decodeEffect(effect); err != nil {
		return nil, fmt.Errorf("read ticket %s: %w", id, err)
	}
	e.t = s.Ticket()
	e.evidence, e.position, e.rulingOutcome = int(evidence), uint64(position), events.Outcome(rulingOutcome.String)
	return &e, nil
}

// encodeDeadlines writes open deadlines as "kind@time;kind@time", soonest first.
func encodeDeadlines(ds []events.ScheduledDeadline) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = string(d.Kind) + "@" + formatTime(d.DueAt)
	}
	return strings.Join(parts, ";")
}

func decodeDeadlines(s string) (map[events.DeadlineKind]time.Time, error) {
	out := map[events.DeadlineKind]time.Time{}
	if s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ";") {
		kind, at, ok := strings.Cut(part, "@")
		if !ok {
			return nil, fmt.Errorf("open deadline %q is not kind@time", part)
		}
		due, err := parseTime(at)
		if err != nil {
			return nil, err
		}
		k, _ := events.DeadlineKind(kind).Canonical() // a constant key, as the fold's (events.DeadlineKind.Canonical)
		out[k] = due
	}
	return out, nil
}
