// Package bundle is the ledger's export format for auditors: a
// self-contained JSON Lines file holding events, seals, the seal public key
// and the policy versions the events were decided under, so that it can be
// verified offline with nothing but this program (or the steps in
// docs/audit.md) and a public key obtained out of band.
//
// A bundle is, line by line:
//
//	{"kind":"header","format":"disputes-bundle/1",...}        always first
//	{"kind":"public_key","key_id":"ed25519:…","ed25519":"<base64>"}
//	{"kind":"policy","version":"…","policy":{…}}            one per version used
//	{"kind":"seal","size":P,"root":"…","sealed_at":"…","key_id":"…","signature":"<base64>"}
//	{"kind":"consistency","from":P1,"to":P2,"hashes":["…"]}  partial bundles
//	{"kind":"event","position":N,"proof":{…},"data":{…}}     in position order
//
// An event's data is the envelope exactly as stored, byte for byte, so its
// hash can be recomputed. A complete bundle (scope "all") holds every event
// from position 1 and the verifier recomputes every seal's root; a partial
// one (a ticket, a merchant, a time range) holds whole ticket streams with an
// inclusion proof per event against the latest seal, and consistency proofs
// between consecutive seals.
package bundle
