package auth

import "strings"

// BearerToken returns the token of an Authorization header value in the
// Bearer scheme (RFC 6750 §2.1). The scheme name is case-insensitive (RFC
// 9110 §11.1), so "bearer x" and "BEARER x" are accepted like "Bearer x";
// spaces around the token are ignored, and a token with a space inside it
// is not a bearer token.
func BearerToken(header string) (string, bool) {
	scheme, rest, ok := strings.Cut(strings.TrimLeft(header, " "), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token := strings.Trim(rest, " \t")
	if token == "" || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}
