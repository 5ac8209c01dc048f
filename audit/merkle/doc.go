// Package merkle implements the Merkle tree of RFC 6962 section 2.1 (the
// same definition as RFC 9162 section 2.1) over the ledger's global log, with
// inclusion and consistency proofs.
//
// Leaf i of the log's tree is LeafHash of the i-th event's 32-byte hash, in
// global-position order. Given a size n and leaves D[0:n]:
//
//	MTH({})      = SHA-256("")
//	MTH({d0})    = SHA-256(0x00 || d0)
//	MTH(D[0:n])  = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))
//
// where k is the largest power of two smaller than n. The 0x00 and 0x01
// prefixes keep a leaf from ever hashing like an inner node (second-preimage
// resistance).
//
// The package is pure: it does no I/O, reads no clock and keeps no state
// outside the values it returns. Tree and Frontier are not safe for
// concurrent use without external locking.
package merkle
