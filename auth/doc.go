// Package auth turns a request's bearer token into a Principal: a role and
// an id, the actor every command and read of the HTTP API is made as.
//
// Two kinds of token are accepted:
//
//   - Opaque tokens listed in a token file. The file keeps only each token's
//     SHA-256, so reading the file does not give away a token; a presented
//     token is hashed and compared with every entry in constant time.
//   - Signed tokens (JWT, RFC 7519) when a key is configured: HS256 with a
//     shared secret or EdDSA with an Ed25519 public key, verified with the
//     standard library. The subject is the principal's id and the "role"
//     claim its role; "exp" is required.
//
// No token of either kind can make a request as events.RoleSystem: that
// role belongs to the deadline scheduler, which runs inside the process.
// What a principal may do is not decided here but by the domain's
// permission table and ownership rules.
package auth
