// Package kurrenttest is a TEST DOUBLE for KurrentDB (formerly EventStoreDB).
// It is not KurrentDB, shares no code with it and must never hold real data.
//
// It exists because no KurrentDB server can be installed on the machines
// that build and test this project. It is an in-process gRPC server built
// from the generated protobuf stubs shipped with the official Go client
// (github.com/EventStore/EventStore-Client-Go/v4/protos), so the real client
// talks to it over a loopback socket exactly as it would to a server in
// single-node, insecure mode (esdb://127.0.0.1:PORT?tls=false).
//
// What it implements, following the server's documented semantics:
//
//   - streams.Append: expected revisions (any, no stream, stream exists,
//     exact revision), wrong-expected-version answers carrying the current
//     and expected revisions, and idempotent appends: re-sending the same
//     event ids at the position where they were first written succeeds
//     without writing, a retry that only partly matches is a wrong expected
//     version. With "any" the double looks the first id up in the whole
//     stream; the real server only remembers recent ids, so there the check
//     is best effort. Appends larger than MaxAppendSize are refused like the
//     server's --max-append-size.
//   - streams.Read: streams forwards and backwards from a revision, the start
//     or the end, "stream not found"; $all forwards (and backwards) from a
//     commit/prepare position (inclusive for reads), with server-side filters
//     on event type or stream name (prefixes or a regular expression) and
//     filter checkpoints; catch-up subscriptions to a stream or to $all
//     (exclusive of their starting point) that send a confirmation, the
//     stored events, "caught up", then live events as they commit. A slow
//     subscriber is held back by gRPC flow control; nothing is dropped.
//   - serverfeatures.GetSupportedMethods, which the client calls on connect.
//
// Server.DropSubscriptions ends every subscription with an Unavailable
// status, as a server going away does, to test resubscription.
//
// $all positions imitate the server's transaction log: byte offsets that grow
// with the size of each record, commit == prepare for a single-event append,
// and one commit position shared by all events of a multi-event append (each
// keeping its own prepare position). Positions are therefore neither dense
// nor equal across the pair, as on a real server.
//
// Not implemented: deletes and tombstones, stream metadata and ACLs,
// BatchAppend, persistent subscriptions, projections, links, authentication,
// TLS, clustering and gossip, durability (everything lives in memory).
package kurrenttest
