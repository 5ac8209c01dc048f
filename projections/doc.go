// Package projections keeps the ledger's read models: ticket status,
// merchant penalty facts (and the scores computed from them), the audit
// trail and the open deadlines the scheduler fires from, as SQL tables that
// analytics jobs and dashboards query. Their schema, with example queries,
// is in docs/projections.md.
//
// # How a read model is kept
//
//  1. One follower of the global log (package eventstore/follow) feeds
//     every projection of a Projector, starting after the lowest of their
//     checkpoints; it decodes each event once and reads at most one page
//     ahead. It hands each page to every projection's lane (lanes.go),
//     which takes up to four pages while it works on one, so that one
//     projection's commit waiting for the shared write lock does not stop
//     the log read and the others' folding; the follower waits once a lane
//     holds four.
//  2. A page is consecutive events. Each projection folds them into
//     pending changes in memory (Projection.Apply), side by side with the
//     others, skipping any position at or below its own checkpoint.
//  3. One transaction writes the changes and moves the checkpoint
//     (rm_checkpoints) with a compare-and-set on the old value: after
//     every page, or, for a Holder in a run to the head (not following),
//     after several (until it is Full or Options.Hold has passed). A
//     crash before the commit loses the transaction whole, so the events
//     are applied again after a restart; a crash after it finds them below
//     the checkpoint. No event
//     is lost or applied twice, and a rebuild from position zero gives the
//     same rows.
//  4. An event a projection cannot apply (undecodable, or refused by the
//     projection) is committed up to, parked in rm_parked with its position
//     and the reason, reported, and the projection stops there. It never
//     skips: once the cause is fixed the next run resumes at that event and
//     marks it resolved.
//  5. A failure of the log or of the read-model database is retried with
//     capped, jittered backoff from the last positions the projections
//     hold (committed or still pending in memory) (Options.MaxRetries;
//     without limit while following); Projector.Status shows it.
//
// Writes are dialect-neutral SQL (see Dialect), so a PostgreSQL backend can
// reuse the projections with its own *sql.DB. Each projection builds the
// rows of a commit before its transaction begins (rows.go); on SQLite they
// then go through the transaction's driver connection, each table's rows in
// one INSERT … SELECT from a virtual table that hands them out of Go memory
// (feed.go), or bound in multi-row INSERTs when a value would be stored
// otherwise that way (driverexec.go).
package projections
