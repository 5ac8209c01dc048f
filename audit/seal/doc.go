// Package seal signs and verifies seals of the ledger's global log: a
// statement, signed with Ed25519, that the log's first Size events (global
// positions 1..Size) have the RFC 6962 Merkle root Root (see package merkle).
//
// An auditor holding two verified seals checks that the log only grew
// between them with merkle.VerifyConsistency, and that an event is in the
// sealed log with merkle.VerifyInclusion.
//
// The package is pure: it reads no clock (the seal time is passed in), no
// environment and no files; key helpers take the bytes or the value the
// caller read.
package seal
