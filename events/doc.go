// Package events is the ledger's event catalogue and wire format.
//
// Every fact about a dispute is one past-tense payload type with a stable wire
// name (for example "refund.requested") and a schema version. An Envelope
// wraps a payload with its identity, stream position, actor, causation and the
// per-stream hash chain. The codec turns envelopes into a canonical JSON
// encoding and back, strictly: an unknown type, unknown field, wrong schema
// version, non-canonical bytes or a broken hash is an error, never a guess.
//
// The package is pure: no I/O, no clock reads, no mutable globals.
package events
