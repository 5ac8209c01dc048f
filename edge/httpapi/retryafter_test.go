package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/disputes-ledger/disputes/commands"
)

// TestRetryAfterOnEvery429AndOnContention: writeProblem adds Retry-After to
// every 429, to 409 too_many_conflicts and to the store's 503s, keeps one a handler set, and
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
		{"outcome unknown, even by a deadline", fmt.Errorf("append: %w: %w", commands.ErrOutcomeUnknown, context.DeadlineExceeded), "", unavailableRetryAfter},
		{"store unavailable", fmt.Errorf("load: %w: %w", commands.ErrUnavailable, errors.New("dial tcp: refused")), "", unavailableRetryAfter},
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
