// Package sqlite is the embedded, default event-store backend: one SQLite
// file in WAL mode, written by a single group-commit writer and read through a
// pool of read-only connections. It uses modernc.org/sqlite, so no cgo.
//
// # Write path
//
//  1. Append validates its arguments, copies the event bytes and queues a
//     request for the writer goroutine.
//  2. The writer takes every request queued so far (up to Config.MaxBatch),
//     opens one BEGIN IMMEDIATE transaction, and checks and inserts each
//     request in turn. Because the checks run inside the transaction they see
//     the batch's own earlier inserts, so two appends to the same stream in
//     one batch are ordered like two separate transactions would be.
//  3. A request that fails its check (wrong expected revision, duplicate ID)
//     is answered with its error and leaves the transaction untouched; the
//     others in the batch go on.
//  4. One COMMIT (one fsync of the WAL, synchronous=FULL) makes the whole
//     batch durable; only then is each caller answered and are subscribers
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
// Keep projection write transactions short (they hold the same write lock
// appends need), prefix their tables (the store owns the tables "events" and
// "eventstore_migrations"), keep their own migrations table, and do not write
// to the events table. Reading it directly is fine but ReadAll/Subscribe is
// the supported interface.
package sqlite
