// Package audit lets an auditor prove, without trusting the operator's
// database, that the ledger's history is complete and unaltered and that each
// ruling was allowed by the rules in force when it was made.
//
// Three things live here:
//
//   - The Sealer extends an RFC 6962 Merkle tree over the global log and
//     stores Ed25519-signed seals of it (package seal) in a SealStore, once
//     (SealToHead) or on a cadence (Run).
//   - The Verifier checks a stream of events and seals — from a bundle
//     (package audit/bundle) or a live ledger (VerifyLog) — and reports every
//     problem as a Finding with its check, global position, ticket and
//     revision. It checks the evidence itself (hashes, chains, seals,
//     positions, which policies it has); whether the rules allowed each
//     recorded decision it asks domain.CheckDecision, which decides the
//     command again with Decide, and only names the finding (legality.go).
//   - Leaf and tree helpers shared by the sealer, the exporter and the prover.
//
// # The sealed log
//
// Leaf i (0-based) of the log's tree is the event at global position i+1.
// Its leaf hash is merkle.LeafHash(h), where h is the 32 raw bytes of the
// event's "hash" member (64 lowercase hex digits in the envelope, the SHA-256
// of the event's canonical body, prev_hash included): see LeafHash. A seal of
// size P signs the root over positions 1..P.
//
// The package reads no clock and no environment: times and keys come in as
// values.
package audit
