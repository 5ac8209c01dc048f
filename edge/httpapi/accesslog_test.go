package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
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

// accessLogged runs one open_ticket through an API logging to a JSON
// handler with opts, and returns what was logged.
func accessLogged(t *testing.T, opts *slog.HandlerOptions, requestID string) string {
	t.Helper()
	store := newStreamsStore{}
	h := commands.NewHandler(store, commands.WithPolicy(policy.Default()))
	tf, err := json.Marshal(auth.TokenFile{Tokens: []auth.TokenEntry{{SHA256: auth.HashToken("tok"), Role: events.RoleBuyer, ID: "b-1"}}})
	require.NoError(t, err)
	tokens, err := auth.ParseTokenFile(tf)
	require.NoError(t, err)
	var logs bytes.Buffer
	srv, err := httpapi.New(httpapi.Config{Store: store, Handler: h, Auth: auth.Chain{Tokens: tokens},
		Logger: slog.New(slog.NewJSONHandler(&logs, opts))})
	require.NoError(t, err)
	body, err := json.Marshal(map[string]any{"data": openData("m-1")})
	require.NoError(t, err)
	req := httptest.NewRequest("POST", "/v1/tickets/T-1/commands/open_ticket", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Idempotency-Key", "c-1")
	if requestID != "" {
		req.Header.Set("X-Request-ID", requestID)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	_, _ = io.Copy(io.Discard, rec.Body)
	if requestID != "" {
		assert.Equal(t, []string{requestID}, rec.Header().Values("X-Request-Id"))
	} else {
		assert.Len(t, rec.Header().Values("X-Request-Id"), 1)
	}
	return logs.String()
}

// TestAccessLogLine: a command's access-log line holds the request's
// attributes in their order, at its level, with its source (the API's
// done, where every access-log line comes from) when the handler adds
// sources; a handler whose level is above it gets no line.
func TestAccessLogLine(t *testing.T) {
	t.Parallel()
	line := accessLogged(t, &slog.HandlerOptions{AddSource: true}, "req-1")
	var keys []string
	dec := json.NewDecoder(strings.NewReader(line))
	_, err := dec.Token()
	require.NoError(t, err)
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, k.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	assert.Equal(t, []string{"time", "level", "source", "msg", "request_id", "method", "route", "path", "status", "bytes",
		"latency_ms", "actor", "command_id", "ticket_id"}, keys)
	var rec struct {
		Level, Msg string
		Source     struct{ Function, File string }
	}
	d := json.NewDecoder(strings.NewReader(line))
	require.NoError(t, d.Decode(&rec))
	assert.Equal(t, "INFO", rec.Level)
	assert.Equal(t, "request", rec.Msg)
	assert.True(t, strings.HasSuffix(rec.Source.Function, "httpapi.(*Server).done"), rec.Source.Function)
	assert.True(t, strings.HasSuffix(rec.Source.File, "/edge/httpapi/middleware.go"), rec.Source.File)
	var attrs map[string]any
	require.NoError(t, json.Unmarshal([]byte(line), &attrs))
	assert.Equal(t, "req-1", attrs["request_id"])
	assert.Equal(t, "buyer:b-1", attrs["actor"])
	assert.Equal(t, "c-1", attrs["command_id"])
	assert.Equal(t, "T-1", attrs["ticket_id"])
	assert.Equal(t, "POST /v1/tickets/{ticket_id}/commands/open_ticket", attrs["route"])
	assert.Equal(t, float64(201), attrs["status"])

	assert.Empty(t, accessLogged(t, &slog.HandlerOptions{Level: slog.LevelWarn}, ""))
	assert.Equal(t, 1, strings.Count(accessLogged(t, nil, ""), "\n"))
}
