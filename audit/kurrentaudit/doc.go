// Package kurrentaudit is the audit's adapter to a KurrentDB (EventStoreDB)
// ledger: a SealStore (package audit) kept as a stream on the ledger's own
// server, "disputes-seals" unless configured otherwise.
//
// Each seal is one event of type "disputes.seal" whose data is the seal as
// JSON (package seal's wire format) with the signer's public key, and whose
// metadata marks it as this package's, so the event store (package
// eventstore/kurrentdb), which counts only its own events into the global
// log, never takes a seal for a ledger event. The event id is derived from
// the seal's content, so the server itself recognises a retried append.
//
// AddSeal reads the stream, decides (no-op, conflict, or append) and appends
// with the exact expected revision it read; a concurrent adder makes the
// append fail with a wrong expected version, and AddSeal reads and decides
// again. Two adders of different seals at one size therefore cannot both
// succeed, in one process or several.
package kurrentaudit
