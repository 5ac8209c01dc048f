package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/events"
)

// TestWireClientOpensTicketsThroughTheAPI runs the figure's client against
// the figure's server: every answer passes the client's checks, and each
// ticket it opened is on record.
func TestWireClientOpensTicketsThroughTheAPI(t *testing.T) {
	ctx := context.Background()
	r := newRunner(Options{Quick: true}, nil)
	defer r.close()
	l, err := startAPI(ctx, r, 2)
	require.NoError(t, err)
	defer l.close()
	for i := range int64(5) {
		require.NoError(t, l.viaHTTP(ctx, i))
	}
	for i := range 5 {
		recs, err := l.store.ReadStream(ctx, events.StreamFor(fmt.Sprintf("H-%d", i)), 0, 0)
		require.NoError(t, err)
		assert.Len(t, recs, 1, "H-%d", i)
	}
	assert.ErrorContains(t, l.viaHTTP(ctx, 3), `"duplicate":true`, "the same command again is answered as a replay, which is not a ticket opened")
}

// TestWireClientRefusesWhatIsNotTheAnswer serves the client answers that
// are not the opened ticket's: each one is an error.
func TestWireClientRefusesWhatIsNotTheAnswer(t *testing.T) {
	const good = `{"ticket_id":"H-7","command_id":"c-7","duplicate":false,"revision":0,"events":[{"id":"x","payload":{}}],"ticket":{"ticket_id":"H-7","status":"awaiting_merchant"}}` + "\n"
	for _, tc := range []struct {
		name   string
		answer func(w http.ResponseWriter)
		err    string // "" for none
	}{
		{"the answer", func(w http.ResponseWriter) { created(w, good) }, ""},
		{"the answer, then the connection closed", func(w http.ResponseWriter) {
			w.Header().Set("Connection", "close")
			created(w, good)
		}, ""},
		{"another status", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusConflict)
			_, _ = io.WriteString(w, `{"code":"ticket_exists"}`)
		}, "status 409"},
		{"200, not 201", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", fmt.Sprint(len(good)))
			_, _ = io.WriteString(w, good)
		}, "status 200"},
		{"chunked", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, good[:10])
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, good[10:])
		}, "Transfer-Encoding"},
		{"another ticket", func(w http.ResponseWriter) { created(w, strings.ReplaceAll(good, "H-7", "H-8")) }, "not the opened ticket"},
		{"another command id", func(w http.ResponseWriter) { created(w, strings.Replace(good, "c-7", "c-8", 1)) }, "not the opened ticket"},
		{"a duplicate", func(w http.ResponseWriter) { created(w, strings.Replace(good, "false", "true", 1)) }, "not the opened ticket"},
		{"no ticket view", func(w http.ResponseWriter) {
			created(w, strings.Replace(good, `"ticket":{"ticket_id":"H-7"`, `"view":{"ticket_id":"H-7"`, 1))
		}, "not the opened ticket"},
		{"cut short", func(w http.ResponseWriter) { created(w, good[:len(good)-3]) }, "not the opened ticket"},
		{"empty", func(w http.ResponseWriter) { created(w, "") }, "not the opened ticket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, err := io.ReadAll(r.Body)
				assert.NoError(t, err)
				assert.Equal(t, "POST", r.Method)
				assert.Equal(t, "/v1/tickets/H-7/commands/open_ticket", r.URL.Path)
				assert.Equal(t, "Bearer tok", r.Header.Get("Authorization"))
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
				assert.Equal(t, "c-7", r.Header.Get("Idempotency-Key"))
				assert.Equal(t, `{"data":{}}`, string(body))
				tc.answer(w)
			}))
			defer srv.Close()
			c := newWireClient(strings.TrimPrefix(srv.URL, "http://"), "tok", []byte(`{"data":{}}`), 1)
			defer c.close()
			for range 2 { // the second on a kept connection, or a new one
				err := c.open(context.Background(), 7)
				if tc.err == "" {
					require.NoError(t, err)
				} else {
					require.ErrorContains(t, err, tc.err)
				}
			}
		})
	}
}

func created(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, body)
}
