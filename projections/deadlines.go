package projections

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore/follow"
)

// DeadlinesName is the open-deadlines projection's name.
const DeadlinesName = "deadlines"

// Deadlines is the read model of open deadlines the scheduler fires from:
// one row per open deadline in rm_deadlines, which goes when the deadline
// expires, is met or cancelled, or its ticket closes. Which deadlines are
// open is the domain's answer, not this projection's: each ticket's events
// are folded by domain.Ticket.Apply, as on the write path, and the rows are
// the ticket's OpenDeadlines after them.
//
// To carry a ticket's fold on after a restart without reading its stream,
// the projection keeps the domain.Snapshot of every open ticket
// (rm_deadline_tickets, as JSON), and drops it with the ticket's close.
// Both tables hold open tickets only: their size, and what the scheduler
// reads, follow the open tickets and not the history. The schema version is
// derived from domain.Snapshot's shape (snapshotVersion), so a build whose
// Snapshot has other fields rebuilds the projection instead of reading
// states it would misread.
type Deadlines struct {
	db       *DB
	cache    map[string]*deadlineEntry
	dirty    []*deadlineEntry
	maxCache int

	// What the next Flush writes, once prepared (see preparer): the ids
	// of the closed tickets whose state rows go and of the tickets whose
	// deadline rows go or are replaced, the new deadline rows and the open
	// tickets' state rows.
	gone, closedOrMoved  rows
	deadlineRows, states rows
	prepared             bool
	// snaps and opens are, by the open tickets' index in dirty, their
	// snapshots and open deadlines as prepare wrote them, which Committed
	// keeps: each taken once per commit.
	snaps []domain.Snapshot
	opens [][]events.ScheduledDeadline
	enc   snapshotEncoder
}

// deadlineEntry is an open ticket as the projection holds it in memory: the
// folded ticket itself, as TicketStatus holds it, so that each event is one
// Ticket.Apply — folding through its domain.Snapshot (Snapshot.Apply) would
// copy the ticket's deadlines twice more per event; the snapshot is taken
// once per commit, for the row.
type deadlineEntry struct {
	t domain.Ticket
	// stored are the ticket's open deadlines as its rows stand, so that an
	// event that leaves them as they were (a message) rewrites no row.
	stored []events.ScheduledDeadline
	// hasState says rm_deadline_tickets holds the ticket's state: it was
	// read from there or written by a commit while open. A ticket opened
	// and closed between two commits, most of a rebuild's, has neither a
	// state row nor deadline rows (stored is empty), and its close deletes
	// nothing.
	hasState bool
	position uint64 // of the ticket's last event folded, for evictOldest
	dirty    bool
}

// NewDeadlines returns the open-deadlines projection over db.
func NewDeadlines(db *DB) *Deadlines {
	d := &Deadlines{db: db, maxCache: DefaultTicketCache}
	d.Reset()
	return d
}

// Name implements Projection.
func (*Deadlines) Name() string { return DeadlinesName }

// Schema implements Projection.
func (*Deadlines) Schema() Schema {
	return Schema{
		Version: snapshotVersion,
		Tables: []Table{
			{Name: "rm_deadlines", DDL: `CREATE TABLE IF NOT EXISTS rm_deadlines (
				ticket_id TEXT NOT NULL,
				kind      TEXT NOT NULL,
				due_at    TIMESTAMPTZ NOT NULL,
				PRIMARY KEY (ticket_id, kind)
			)`},
			{Name: "rm_deadline_tickets", DDL: `CREATE TABLE IF NOT EXISTS rm_deadline_tickets (
				ticket_id TEXT   NOT NULL PRIMARY KEY,
				revision  BIGINT NOT NULL,
				snapshot  TEXT   NOT NULL
			)`},
		},
		Indexes: []string{`CREATE INDEX IF NOT EXISTS rm_deadlines_due ON rm_deadlines (due_at, ticket_id, kind)`},
	}
}

// Apply implements Projection.
func (d *Deadlines) Apply(ctx context.Context, ev follow.Event) error {
	env := ev.Env
	id := events.TicketOf(env.Stream)
	if id == "" {
		return nil
	}
	e, err := d.entry(ctx, id, env)
	if err != nil || e == nil {
		return err
	}
	if e.t.Events > 0 && env.Revision != e.t.Revision+1 {
		return refuse("ticket %s: revision %d follows revision %d", id, env.Revision, e.t.Revision)
	}
	e.t.Fold(env) // in place, as TicketStatus folds (see there)
	e.position = ev.Record.Position
	d.prepared = false
	if !e.dirty {
		e.dirty = true
		d.dirty = append(d.dirty, e)
	}
	return nil
}

// entry returns the open ticket's entry: cached, read back, or new for the
// ticket's opening event. It returns nil for an event of
// a ticket that has no state row: a ticket closed (and so dropped) before,
// which has no deadline to keep.
func (d *Deadlines) entry(ctx context.Context, id string, env events.Envelope) (*deadlineEntry, error) {
	return cachedEntry(ctx, d.cache, id, env, d.read, nil)
}

func (d *Deadlines) read(ctx context.Context, id string) (*deadlineEntry, error) {
	st, err := d.db.stmt(ctx, `SELECT revision, snapshot FROM rm_deadline_tickets WHERE ticket_id = ?`)
	if err != nil {
		return nil, err
	}
	var (
		revision int64
		text     string
	)
	if err := st.QueryRowContext(ctx, id).Scan(&revision, &text); err != nil {
		return nil, fmt.Errorf("read deadline state of ticket %s: %w", id, err)
	}
	t, err := decodeSnapshot(text)
	if err != nil {
		return nil, fmt.Errorf("read deadline state of ticket %s: %w", id, err)
	}
	if t.Revision != uint64(revision) || t.ID != id {
		return nil, fmt.Errorf("read deadline state of ticket %s: the state is of %s at revision %d, the row says revision %d", id, t.ID, t.Revision, revision)
	}
	tk := t.Ticket()
	return &deadlineEntry{t: tk, stored: tk.OpenDeadlines(), hasState: true}, nil
}

// prepare sorts the dirty tickets into key order (as TicketStatus.prepare)
// and builds what Flush writes: a closed ticket's rows go; an open one's
// state is written, and its deadline rows replaced when they changed. Only
// rows that exist are deleted (see hasState and stored).
func (d *Deadlines) prepare() error {
	if d.prepared {
		return nil
	}
	slices.SortFunc(d.dirty, func(a, b *deadlineEntry) int { return strings.Compare(a.t.ID, b.t.ID) })
	d.gone.reset()
	d.closedOrMoved.reset()
	d.deadlineRows.reset()
	d.states.reset()
	id := func(e *deadlineEntry) func(args []any) []any {
		return func(args []any) []any { return append(args, e.t.ID) }
	}
	n := len(d.dirty)
	d.snaps, d.opens = slices.Grow(d.snaps[:0], n)[:n], slices.Grow(d.opens[:0], n)[:n]
	clear(d.snaps)
	clear(d.opens)
	for i, e := range d.dirty {
		if e.t.Status == domain.StatusClosed {
			if e.hasState {
				d.gone.add(id(e))
			}
			if len(e.stored) > 0 {
				d.closedOrMoved.add(id(e))
			}
			continue
		}
		d.snaps[i] = e.t.Snapshot()
		text, err := d.enc.encode(&d.snaps[i])
		if err != nil {
			return fmt.Errorf("ticket %s: %w", e.t.ID, err)
		}
		d.states.add(func(args []any) []any { return append(args, e.t.ID, int64(e.t.Revision), text) })
		open := e.t.OpenDeadlines()
		d.opens[i] = open
		if !slices.Equal(open, e.stored) {
			if len(e.stored) > 0 {
				d.closedOrMoved.add(id(e))
			}
			for _, dl := range open {
				d.deadlineRows.add(func(args []any) []any { return append(args, e.t.ID, string(dl.Kind), formatTime(dl.DueAt)) })
			}
		}
	}
	d.prepared = true
	return nil
}

// Flush implements Projection.
func (d *Deadlines) Flush(ctx context.Context, tx *sql.Tx) error {
	if err := d.prepare(); err != nil {
		return err
	}
	if err := deleteIn(ctx, tx, d.db, `DELETE FROM rm_deadline_tickets WHERE ticket_id IN `, &d.gone); err != nil {
		return fmt.Errorf("drop closed tickets: %w", err)
	}
	if err := deleteIn(ctx, tx, d.db, `DELETE FROM rm_deadlines WHERE ticket_id IN `, &d.closedOrMoved); err != nil {
		return fmt.Errorf("drop deadlines: %w", err)
	}
	if err := chunked(ctx, tx, d.db, `INSERT INTO rm_deadlines (ticket_id, kind, due_at)`, ``, 128, &d.deadlineRows); err != nil {
		return fmt.Errorf("write deadlines: %w", err)
	}
	if err := chunked(ctx, tx, d.db, `INSERT INTO rm_deadline_tickets (ticket_id, revision, snapshot)`,
		` ON CONFLICT (ticket_id) DO UPDATE SET revision = excluded.revision, snapshot = excluded.snapshot`, 64, &d.states); err != nil {
		return fmt.Errorf("write ticket states: %w", err)
	}
	return nil
}

// Committed implements Projection. Closed tickets leave the cache: nothing
// of them is kept, so they are not detached first (most tickets of a
// rebuild open and close between two commits). An open one is cut down to
// the snapshot prepare wrote, detached, and its rows stand as prepare
// found its deadlines (whose kinds are the constants OpenDeadlines lists).
func (d *Deadlines) Committed() {
	for i, e := range d.dirty {
		e.dirty = false
		if e.t.Status == domain.StatusClosed {
			delete(d.cache, e.t.ID)
			continue
		}
		if d.prepared {
			e.t, e.stored = detached(d.snaps[i]).Ticket(), d.opens[i]
		} else { // committed without prepare (nothing calls it so): as prepare would take them
			e.t = detachedTicket(e.t)
			e.stored = e.t.OpenDeadlines()
		}
		e.hasState = true
	}
	clear(d.dirty) // the closed tickets' entries hold their events' bytes
	d.dirty = d.dirty[:0]
	d.clearPrepared()
	evictOldest(d.cache, d.maxCache, func(e *deadlineEntry) uint64 { return e.position })
}

// Full implements Holder: the cache, which holds every pending ticket, is
// full.
func (d *Deadlines) Full() bool { return len(d.cache) > d.maxCache }

// Reset implements Projection.
func (d *Deadlines) Reset() {
	d.cache = map[string]*deadlineEntry{}
	d.dirty = nil
	d.gone, d.closedOrMoved = rows{cols: 1}, rows{cols: 1}
	d.deadlineRows, d.states = rows{cols: 3}, rows{cols: 3}
	d.snaps, d.opens = nil, nil
	d.prepared = false
}

// clearPrepared lets go of what prepare built, once written.
func (d *Deadlines) clearPrepared() {
	d.gone.reset()
	d.closedOrMoved.reset()
	d.deadlineRows.reset()
	d.states.reset()
	clear(d.snaps) // their strings are the events'
	clear(d.opens)
	d.snaps, d.opens = d.snaps[:0], d.opens[:0]
	d.prepared = false
}

// deleteIn runs prefix followed by "(…)" for the keys, rows of one value:
// on SQLite, once for them all with the keys fed (the row feed's SELECT
// between the parentheses, see feedRows), else with "?, ?, …" 256 keys at
// a time.
func deleteIn(ctx context.Context, tx *sql.Tx, db *DB, prefix string, keys *rows) error {
	n := keys.len()
	if n == 0 {
		return nil
	}
	if ok, err := db.feedRows(ctx, prefix+"(", ")", 1, keys.vals); ok {
		return err
	}
	const chunk = 256
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		st, err := db.stmt(ctx, prefix+"("+strings.TrimSuffix(strings.Repeat("?, ", end-start), ", ")+")")
		if err != nil {
			return err
		}
		if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, keys.vals[start:end]...); err != nil {
			return err
		}
	}
	return nil
}
