package httpapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/disputes-ledger/disputes/commands"
)

// TestRetryAfterOnEvery429AndOnContention: writeProblem adds Retry-After to
// every 429 and to 409 too_many_conflicts, keeps one a handler set, and
// adds none where retrying unchanged cannot help.
func TestRetryAfterOnEvery429AndOnContention(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		err    error
		preset string
		want   string
	}{
		{"any 429", &apiError{status: http.StatusTooManyRequests, code: "slow_down"}, "", throttledRetryAfter},
		{"a 429 keeps its own", &apiError{status: http.StatusTooManyRequests, code: "slow_down"}, "30", "30"},
		{"too many conflicts", fmt.Errorf("open_ticket on T-1: %w", commands.ErrTooManyConflicts), "", conflictRetryAfter},
		{"revision mismatch", fmt.Errorf("x: %w", commands.ErrRevisionMismatch), "", ""},
		{"validation", badRequest("status", "must be one of a, b"), "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			if tc.preset != "" {
				w.Header().Set("Retry-After", tc.preset)
			}
			writeProblem(w, httptest.NewRequest("GET", "/v1/x", nil), tc.err)
			assert.Equal(t, tc.want, w.Header().Get("Retry-After"))
		})
	}
}
