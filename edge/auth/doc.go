// Package auth turns a request's bearer token into a Principal: a role and
// an id, the actor every command and read of the HTTP API is made as.
//
// Two kinds of token are accepted:
//
//   - Opaque tokens listed in a token file. The file keeps only each token's
//     SHA-256, so reading the file does not give away a token; a presented
//     token is hashed and its hash looked up among the file's.
//   - Signed tokens (JWT, RFC 7519) when keys are configured, verified with
//     github.com/golang-jwt/jwt/v5: HS256, RS256, ES256 and EdDSA, each key
//     pinned to its one algorithm and chosen by "kid" (keys from a JWKS
//     file) or, for a key given alone, by the algorithm. The subject is the
//     principal's id and the "role" claim its role; claim names are exact;
//     "exp" is required and bounded (JWTVerifier). A token that verified is
//     remembered, by its hash, under the key set it verified with: a repeat
//     has its claims checked again at the time now, not its signature.
//
// A Reloader keeps the token file and the key files current while the
// server runs, so adding or revoking a token and rotating a key need no
// restart; a malformed file leaves the previous set in force.
//
// No token of either kind can make a request as events.RoleSystem: that
// role belongs to the deadline scheduler, which runs inside the process.
// What a principal may do is not decided here but by the domain's
// permission table and ownership rules.
package auth
