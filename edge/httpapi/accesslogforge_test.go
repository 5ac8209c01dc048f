package httpapi_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/events"
)

// TestAccessLogNamesOnlyTheTokensPrincipal: what a request sends cannot
// put another principal, or another request id than its own plain one, in
// the access log (the record now holds the principal by value and the
// X-Request-Id value list itself): an id with anything but letters,
// digits and - _ . : or over 64 bytes is replaced by a made one, the
// actor is the token's principal or, for a token refused or none, absent,
// and every request is one line of the log, in JSON and in text.
func TestAccessLogNamesOnlyTheTokensPrincipal(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"json", "text"} {
		store := newStreamsStore{}
		h := commands.NewHandler(store, commands.WithPolicy(policy.Default()))
		tf, err := json.Marshal(auth.TokenFile{Tokens: []auth.TokenEntry{{SHA256: auth.HashToken("tok"), Role: events.RoleBuyer, ID: "b-1"}}})
		require.NoError(t, err)
		tokens, err := auth.ParseTokenFile(tf)
		require.NoError(t, err)
		var logs bytes.Buffer
		handler := slog.Handler(slog.NewJSONHandler(&logs, nil))
		if format == "text" {
			handler = slog.NewTextHandler(&logs, nil)
		}
		srv, err := httpapi.New(httpapi.Config{Store: store, Handler: h, Auth: auth.Chain{Tokens: tokens}, Logger: slog.New(handler)})
		require.NoError(t, err)
		for _, tc := range []struct {
			name, token, requestID string
			wantID, wantActor      string // "" for wantID: a made one
		}{
			{"plain id", "tok", "req-1", "req-1", "buyer:b-1"},
			{"id that reads as a principal", "tok", "auditor:a-1", "auditor:a-1", "buyer:b-1"},
			{"id with an attribute in it", "tok", `x" actor="auditor:a-1`, "", "buyer:b-1"},
			{"id with a line of its own", "tok", "x\nlevel=ERROR msg=request actor=auditor:a-1", "", "buyer:b-1"},
			{"id too long", "tok", strings.Repeat("a", 65), "", "buyer:b-1"},
			{"another's token, refused", "not-a-token", "req-2", "req-2", ""},
			{"no token", "", "req-3", "req-3", ""},
		} {
			t.Run(format+"/"+tc.name, func(t *testing.T) {
				logs.Reset()
				req := httptest.NewRequest("GET", "/v1/tickets/T-1", nil)
				if tc.token != "" {
					req.Header.Set("Authorization", "Bearer "+tc.token)
				}
				req.Header["X-Request-Id"] = []string{tc.requestID}
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if tc.wantActor == "" {
					assert.Equal(t, http.StatusUnauthorized, rec.Code)
				}
				line := logs.String()
				require.Equal(t, 1, strings.Count(line, "\n"), "one line per request: %q", line)
				id := rec.Header().Get("X-Request-Id")
				if tc.wantID != "" {
					assert.Equal(t, tc.wantID, id)
				} else {
					assert.Regexp(t, "^[0-9a-f]{24}$", id, "a made id")
				}
				attrs := map[string]any{}
				if format == "json" {
					require.NoError(t, json.Unmarshal([]byte(line), &attrs))
				} else {
					assert.Equal(t, strings.Contains(tc.wantActor, ":"), strings.Contains(line, " actor="))
					assert.LessOrEqual(t, strings.Count(line, " actor="), 1)
					assert.Contains(t, line, " request_id="+id+" ")
					return
				}
				assert.Equal(t, id, attrs["request_id"])
				if tc.wantActor == "" {
					assert.NotContains(t, attrs, "actor")
				} else {
					assert.Equal(t, tc.wantActor, attrs["actor"])
				}
			})
		}
	}
}
