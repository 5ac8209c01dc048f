package auth_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/disputes-ledger/disputes/edge/auth"
)

// TestBearerToken covers issue #11 item 7's last finding: the scheme name
// is case-insensitive (RFC 9110 §11.1), so "bearer x" is a bearer token.
func TestBearerToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header string
		token  string
		ok     bool
	}{
		{"Bearer tok", "tok", true},
		{"bearer tok", "tok", true},
		{"BEARER tok", "tok", true},
		{"bEaReR tok", "tok", true},
		{"Bearer   tok  ", "tok", true},
		{"Bearer a.b.c", "a.b.c", true},
		{"", "", false},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Bearertok", "", false},
		{"Basic dXNlcjpwYXNz", "", false},
		{"Bearer two words", "", false},
		{"Token tok", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.header, func(t *testing.T) {
			token, ok := auth.BearerToken(tc.header)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.token, token)
		})
	}
}
