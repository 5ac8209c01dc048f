package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/events"
)

// oneToken authenticates "tok" as buyer b-1 and refuses every other token.
type oneToken struct{}

func (oneToken) Authenticate(_ context.Context, token string) (auth.Principal, error) {
	if token == "tok" {
		return auth.Principal{Role: events.RoleBuyer, ID: "b-1"}, nil
	}
	return auth.Principal{}, auth.ErrUnauthenticated
}

// TestPrincipalIsOnlyWhatAuthenticateFound: the principal a handler sees
// is the one authenticate found for the request's own token; a request
// that did not go through authenticate (a public route) has none, and
// one whose token is refused never reaches the handler.
func TestPrincipalIsOnlyWhatAuthenticateFound(t *testing.T) {
	t.Parallel()
	s := &Server{auth: oneToken{}, metrics: NewMetrics()}
	var seen []auth.Principal
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, principalOf(r))
		w.WriteHeader(http.StatusNoContent)
	})
	serve := func(h http.Handler, token string) int {
		req := httptest.NewRequest("GET", "/x", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	s.log = discardLogger()
	public, private := s.observe(inner), s.observe(s.authenticate(inner))

	assert.Equal(t, http.StatusNoContent, serve(public, "tok"), "a public route does not authenticate, whatever it is sent")
	assert.Equal(t, http.StatusNoContent, serve(private, "tok"))
	assert.Equal(t, http.StatusUnauthorized, serve(private, "someone-else's"))
	assert.Equal(t, http.StatusUnauthorized, serve(private, ""))
	assert.Equal(t, []auth.Principal{{}, {Role: events.RoleBuyer, ID: "b-1"}}, seen)
	assert.Equal(t, auth.Principal{}, principalOf(httptest.NewRequest("GET", "/x", nil)), "a request no layer has seen")
}

func discardLogger() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }
