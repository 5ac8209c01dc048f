// Package checkpoint writes and reads the ledger's seals as signed
// checkpoints in the C2SP formats that transparency-log tools share
// (tlog-checkpoint and signed-note), so that witnesses and monitors can
// keep what the ledger signed without knowing anything else about it.
//
// A checkpoint's body is three lines: the origin (the ledger's name), the
// tree size in decimal and the RFC 6962 root hash in standard base64. It is
// signed as a note with the ledger's Ed25519 seal key, under the key name
// Origin:
//
//	disputes-ledger/3f8a…
//	1042
//	1mO4dzN0nKq1nKm2/9ho7d3mMtzG3QrYV7lqB8Jp9Uk=
//
//	— disputes-ledger/3f8a… AbCdEf…
//
// The signature line carries the key name, then the base64 of the 4-byte key
// hash followed by the 64-byte Ed25519 signature. A seal's own signature
// (package seal) signs a different message, which begins with seal.Domain,
// never a decimal size on its second line, so neither signature can stand
// for the other.
//
// The package is pure: no clock, no files, no network.
package checkpoint
