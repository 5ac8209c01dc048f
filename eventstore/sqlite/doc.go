// Package sqlite is the embedded, default event-store backend: one SQLite
// file in WAL mode, written by a single group-commit writer and read through a
// pool of read-only connections. It uses modernc.org/sqlite, so no cgo.
//
// # Write path
//
//  1. Append validates its arguments, copies the event bytes and queues a
//     request for the writer goroutine (the queue and the writer's loop are
//     package eventstore/internal/groupcommit, shared with PostgreSQL).
//  2. The writer takes every request queued so far, up to Config.MaxBatch,
//     and begins one BEGIN IMMEDIATE transaction (writer.go) with them. If
//     that is fewer than the writers it knows of (the callers it just
//     answered and those that queued during the last commit), it lingers up
//     to Config.MaxBatchWait for them inside that transaction, holding the
//     write lock, so concurrent writers share one commit instead of
//     alternating between two.
//  3. In that transaction it writes the
//     requests in order (batch.go), as they join the batch: while it
//     waits for the rest of its callers it inserts the rows it holds
//     (from 16 on), so the inserts overlap the callers' way back. A
//     request that continues its stream at the head the writer knows it
//     has (written earlier in the batch, or seen committed by this writer:
//     heads.go), or starts a stream the writer knows nothing of, needs no
//     read to check its revision: its
//     rows can only collide with the row already at its first revision or
//     an ID already stored, which the table's UNIQUE constraints refuse.
//     Runs of such requests go into the log in one multi-row INSERT
//     (rows.go). Any other request is written alone, its first event's
//     INSERT carrying the expected-revision check (its stream is NULL,
//     which NOT NULL refuses, unless the stream's head is where the append
//     expects it). Every statement runs inside the transaction and sees the
//     batch's earlier inserts, so two appends to one stream in one batch
//     are ordered as two transactions would be.
//  4. A request that fails (wrong expected revision, ID used elsewhere) is
//     undone alone, through a savepoint when it holds several events, and
//     is answered with its error; the rest of the batch goes on. A
//     multi-row INSERT that collides is undone whole by SQLite, and its
//     requests are then written alone, which finds the one at fault. A
//     request that inserts nothing is checked for being an idempotent retry
//     (the decision is package eventstore/internal/appendcheck's, shared
//     with the other backends).
//  5. One COMMIT, with one fsync of the WAL (synchronous=FULL), makes the
//     batch durable. Only then is each caller answered and are subscribers
//     woken.
//
// Global positions are the table's INTEGER PRIMARY KEY, assigned by the
// writer as max(position)+1 while it holds SQLite's write lock. Positions are
// therefore gap-free and in commit order, and since a reader's snapshot always
// contains whole committed transactions, every reader sees a prefix 1..P of
// the log: ReadAll can never skip a position that commits later.
//
// # Sharing the file with read models
//
// Projections may keep their read models in the same file. Open your own
// *sql.DB with sql.Open("sqlite", sqlite.DSN(path)): it sets WAL, FULL
// synchronous, a busy timeout and BEGIN IMMEDIATE transactions, so writers
// queue on SQLite's single write lock instead of failing with SQLITE_BUSY.
// Keep projection write transactions short: they hold the one write lock
// appends need, and one held longer than the busy timeout makes appends fail
// with SQLITE_BUSY. Prefix their tables (the store owns the tables "events" and
// "eventstore_migrations"), keep their own migrations table, and do not write
// to the events table. Reading it directly is fine but ReadAll/Subscribe is
// the supported interface.
package sqlite
