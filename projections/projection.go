package projections

import (
	"context"
	"database/sql"

	"github.com/disputes-ledger/disputes/eventstore/follow"
)

// Projection is one read model. A Runner feeds it the global log in order,
// one page at a time: Apply folds each event into the projection's pending
// changes in memory, Flush writes them inside the transaction that also
// advances the checkpoint, and Committed tells the projection the
// transaction committed. Because the runner skips every position at or
// below the checkpoint, a projection never sees an event twice across
// commits; within one process it never sees one twice at all.
//
// Keeping the changes in memory until Flush lets the projections of one
// process do their Go work side by side and hold SQLite's single write lock
// only while writing.
//
// A Projection is used by one goroutine at a time.
type Projection interface {
	// Name identifies the projection and keys its checkpoint. It is stable:
	// renaming a projection rebuilds it.
	Name() string

	// Schema returns the projection's tables and indexes.
	Schema() Schema

	// Apply folds one decoded event into the pending changes. An error means
	// the projection cannot apply this event (it will be parked and the
	// projection stopped), and Apply must then have changed nothing.
	Apply(ctx context.Context, ev follow.Event) error

	// Flush writes the pending changes in tx. If the transaction fails, Flush
	// is called again later with the same pending changes, so it must not
	// consume them: only Committed does.
	Flush(ctx context.Context, tx *sql.Tx) error

	// Committed reports that the last Flush committed: the pending changes
	// are now the stored state.
	Committed()

	// Reset drops everything held in memory, pending or cached: the stored
	// state is the truth again. Called after a panic and before a rebuild.
	Reset()
}

// Holder is implemented by a projection that can hold its pending changes
// over several pages. In a run to a known end (project, rebuild; never
// while following), before the head and the run's end, a runner commits a
// Holder only once it is Full, or
// Options.Hold after its last commit, instead of after every page: the pages'
// events fold in memory, so a ticket's row is written once for all its
// events in them, in whatever order the log interleaves tickets, and
// pages can stay small (they bound the decoded events in flight) while
// transactions stay large. What a Holder holds must stay bounded by Full,
// not by the length of the log.
type Holder interface {
	Projection
	// Full reports that the pending changes are as many as the projection
	// will hold: the runner commits them with this page.
	Full() bool
}

// Schema is a projection's SQL, in the dialect-neutral form Dialect.Table
// rewrites.
type Schema struct {
	// Version changes whenever the tables or the meaning of their rows
	// change; a stored projection at another version is rebuilt.
	Version int
	// Tables are CREATE TABLE IF NOT EXISTS statements, by table name.
	Tables []Table
	// Indexes are CREATE INDEX IF NOT EXISTS statements. They are created
	// when the projection first reaches the head of the log, not during a
	// rebuild: building an index once over the finished table is several
	// times cheaper than maintaining it through a million random inserts.
	Indexes []string
}

// Table is one table of a projection.
type Table struct {
	Name string
	DDL  string
}
