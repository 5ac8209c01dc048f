// Package kurrentdb is the KurrentDB (formerly EventStoreDB) backend of
// eventstore.Store, on the official Go client
// github.com/EventStore/EventStore-Client-Go/v4 (v4.2.0).
//
// # Mapping
//
// Each ledger stream (one per ticket) is a server stream of the same name,
// prefixed by Config.Namespace when one is set. An event is written with the
// ledger's id as the server's event id, its type as the event type, the
// encoded envelope as data (content type application/json when it is JSON,
// which envelopes always are), and a small JSON object as user metadata
// naming the store, the namespace, the type and the revision. Stream
// revisions are the server's own.
//
// # Appends
//
// The port requires every event's Revision to be the one the store
// assigns. The server is therefore always sent the exact expected revision
// the events imply: esdb.NoStream{} for a batch starting at 0, else
// esdb.Revision(first-1). NoStream and Exact(r) map to exactly that; Any is
// sent as that revision too rather than as esdb.Any{}, since with esdb.Any{}
// the server would append events whose revisions are wrong (breaking the
// writers' hash chains) and guarantees idempotency only on a best-effort
// basis. A wrong expected version from the server becomes a
// *eventstore.ConcurrencyError (errors.Is ErrConcurrency).
//
// Idempotency. KurrentDB deduplicates a retry only when it is sent at the
// position the events were first written at: the same ids after the same
// expected revision. The port asks more, so the store also decides from its
// index (below), which maps every event id it has seen to its stream,
// revision and position:
//   - all ids already stored where the events say: an idempotent retry,
//     answered without a write as the first attempt was (Duplicate);
//   - an id stored in another stream or at another revision: ErrDuplicateID,
//     nothing written (the server alone would store the event twice);
//   - some ids stored, others not: ErrConcurrency.
//
// These decisions, and the checks of a request before it is sent, are
// package eventstore/internal/appendcheck's, which the SQL backends use too.
//
// A retry the index has not seen yet (the first attempt came from another
// process moments ago) reaches the server, which deduplicates it: it was sent
// at the same expected revision, since the events' revisions fix it. The
// answer then has the right NextExpected and LastPosition but may not say
// Duplicate, as the server's success looks the same either way.
// Within one process, appends sharing an id are serialised, so ErrDuplicateID
// is exact. Across processes it is best effort: two processes writing the same
// new id to two different streams at the same moment can both succeed, since
// KurrentDB has no unique constraint on ids. The command handler gives every
// event a fresh UUIDv7, so this takes a client bug and a race together.
//
// # Global positions
//
// The port numbers the global log 1, 2, 3, … without gaps. KurrentDB's $all
// positions are (commit, prepare) byte offsets in its transaction log: sparse,
// shared by the events of one transaction, and interleaved with system events
// and other applications' events. The store derives the dense position by
// counting its own events in $all order: the n-th event of this store (by the
// metadata test above) in $all has position n. Every reader applies the same
// test, so all of them, in every process, agree on the numbering.
//
// To answer "which position is event X" (ReadStream, Append's LastPosition)
// and "where in $all is position n" (ReadAll, Subscribe), each Store keeps an
// in-memory index of its events: id, stream, revision and $all position. Open
// builds it by reading $all from the start and a filtered catch-up
// subscription to $all keeps it current, resubscribing from its last position
// if the server drops it. ReadAll and Subscribe start at the $all position
// the index has for their checkpoint (or its last one) and count on from
// there, so they also see events the index has not reached yet; ReadStream
// and Append wait for the index to reach the events they report
// (Config.IndexWait). Costs: Open reads the whole of $all once, and the
// index holds about 110 bytes per ledger event (BenchmarkIndexMemory).
//
// Checkpoints are dense positions, as the port says; Checkpoint returns the
// (commit, prepare) pair of a position, and SubscribeFrom resumes from such a
// pair directly. Subscribe is a filtered catch-up subscription to $all from
// the pair of its position; consumers see "$all catch-up then live" with the
// server's own back-pressure.
//
// Positions only stay dense if no event of the store ever leaves $all: never
// delete, truncate or set $maxAge/$maxCount on ledger streams (the ledger is
// append-only anyway) and never scavenge such deletions.
//
// # Server requirements
//
// The connecting user must be able to read $all (admins can; in insecure mode
// everyone can). KurrentDB refuses appends over --max-append-size (1 MiB by
// default): ledger envelopes are far smaller, but the conformance suite
// stores a 1 MiB payload in one batch and needs the limit raised to 4 MiB.
// Empty event types are refused, as KurrentDB requires a type.
//
// # Testing
//
// The conformance suite runs against kurrenttest, an in-process test double
// of the server's gRPC API, in every build, and against a real server when
// DISPUTES_KURRENTDB_URL is set.
package kurrentdb
