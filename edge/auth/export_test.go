package auth

// RememberedTokens returns how many verified tokens v remembers.
func RememberedTokens(v *JWTVerifier) int {
	if c := v.remembered(); c != nil {
		return c.len()
	}
	return 0
}
