// Package projections keeps the ledger's read models: ticket status,
// merchant penalty facts (and the scores computed from them) and the audit
// trail, as SQL tables that analytics jobs and dashboards query. Their
// schema, with example queries, is in docs/projections.md.
//
// # How a read model is kept
//
//  1. Package globallog exposes the global log as a Watermill
//     message.Subscriber. Each projection is an ordinary handler on a
//     message.Router with its own subscription, starting after its own
//     checkpoint: recoverer, retry with backoff, and a guard that parks and
//     stops are its middlewares.
//  2. A message is a page of consecutive events. The projection folds them
//     into pending changes in memory (Projection.Apply), skipping any
//     position at or below its checkpoint.
//  3. One transaction writes the changes and moves the checkpoint
//     (rm_checkpoints) with a compare-and-set on the old value; then the
//     page is acked and the next one is sent. A crash before the commit
//     loses the transaction whole, so the events are applied again after a
//     restart; a crash after it finds them below the checkpoint. No event
//     is lost or applied twice, and a rebuild from position zero gives the
//     same rows.
//  4. An event a projection cannot apply (undecodable, or refused by the
//     projection) is committed up to, parked in rm_parked with its position
//     and the reason, reported, and the projection stops there. It never
//     skips: once the cause is fixed the next run resumes at that event and
//     marks it resolved.
//
// Writes are dialect-neutral SQL (see Dialect), so a PostgreSQL backend can
// reuse the projections with its own *sql.DB.
package projections
