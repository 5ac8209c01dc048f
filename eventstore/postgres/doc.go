// Package postgres is the event-store backend for PostgreSQL, through
// github.com/jackc/pgx/v5 (pgxpool). Several processes may share one
// database: each runs its own Store on the same schema.
//
// # Tables
//
// Open migrates, in the schema Config.Schema (default: the connection's
// current schema), three tables prefixed eventstore_ so read models can share
// the schema: eventstore_events (position primary key; id unique; unique
// (stream, revision)), eventstore_head (one row: the last position handed
// out) and eventstore_migrations (versioned, forward-only steps applied in
// one transaction under an advisory lock, so concurrent Opens do not race).
//
// # Global positions
//
// The port demands a gap-free log that ReadAll and Subscribe read as
// positions 1, 2, 3, … and never skip. With a sequence, two concurrent
// writers can commit out of order: position 8 becomes visible while 7 is
// still in flight, a reader moves past 7, and 7 is lost to it when it
// commits. Sequences also leave gaps on rollback.
//
// This package serialises position assignment instead: every write
// transaction starts by locking the eventstore_head row (SELECT … FOR
// UPDATE) and holds it to COMMIT. Positions are then taken from the head
// (head+1, head+2, …) and the head is moved in the same transaction. A
// second writer — another Store in another process — waits on the row lock
// until the first commits; PostgreSQL makes a committed transaction visible
// before it releases its locks, so the second writer's next statements (READ
// COMMITTED: a fresh snapshot per statement) see the first's rows and its
// head. Hence:
//
//   - positions are gap-free: a rolled-back transaction never moved the head;
//   - positions become visible in position order: the transaction holding
//     positions n+1… cannot commit before the one holding …n has, so every
//     snapshot holds a prefix 1..P of the log, and "position > after" in
//     ReadAll cannot skip an event that commits later.
//
// ReadAll still checks each batch for a gap and fails rather than skip.
//
// The price is one writer at a time per schema. Group commit, with the
// SQLite backend's queue (package eventstore/internal/groupcommit), recovers
// the throughput: one writer goroutine per Store takes every queued Append
// (up to Config.MaxBatch) into one transaction:
//
//  1. One pipelined round trip: BEGIN, lock the head row (the position
//     after which this batch writes), read the head revision of every
//     stream the batch touches and the location of every event ID it
//     carries. The server runs the statements in order, so the reads take
//     their snapshots after the lock is granted.
//  2. Each request is checked in Go against that state plus the batch's own
//     earlier writes (expected revision, revisions, idempotent retries, IDs
//     used elsewhere); refused requests get their own error and write nothing.
//  3. A second round trip inserts the accepted events (INSERT … SELECT FROM
//     unnest), moves the head, queues a NOTIFY and COMMITs, durably under
//     synchronous_commit. Only then are the callers answered and this
//     process's subscriptions woken.
//
// Because the checks run under the lock, the unique constraints are a second
// line of defence, not the mechanism: a violation fails the whole batch.
//
// # Subscriptions
//
// A subscription catches up with ReadAll in batches, then waits. Appends
// through the same Store wake it at once; other processes' commits reach it
// through LISTEN/NOTIFY on a channel named after the schema, on one
// connection per Store outside the pool (started by the first Subscribe,
// reconnected on failure, and waking every subscription when it connects so
// no notification sent while it was down is missed); Config.PollInterval
// is the fallback bound on an idle wait.
//
// # Sharing the database with read models
//
// Pool returns the store's pool. Read models keep their own (prefixed) tables
// and migration bookkeeping, may read eventstore_events, and must never
// write the eventstore_* tables.
package postgres
