package httpapi_test

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/edge/httpapi"
)

// TestBadRequestsRecordNothing sends malformed, oversize, unauthenticated
// and otherwise wrong requests: each gets its problem and status, and the
// ledger is unchanged.
func TestBadRequestsRecordNothing(t *testing.T) {
	t.Parallel()
	l := newLedger(t, options{})
	buyer := l.as("buyer:b-1")
	buyer.ok("T-1", "open_ticket", "c-open", openData("m-1"))
	head := l.head()
	path := "/v1/tickets/T-1/commands/post_message"
	key := map[string]string{"Idempotency-Key": "k-1"}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	huge := `{"data":{"text":"` + strings.Repeat("x", 300<<10) + `"}}`

	tests := []struct {
		name   string
		c      client
		method string
		path   string
		body   string
		header map[string]string
		status int
		code   string
		field  string
	}{
		{"no token", client{l: l}, "POST", path, `{"data":{"text":"hi"}}`, key, 401, "unauthenticated", ""},
		{"unknown token", client{l: l, token: "tok-nobody"}, "POST", path, `{"data":{"text":"hi"}}`, key, 401, "unauthenticated", ""},
		{"forged jwt", client{l: l, token: must(forgeJWT())}, "GET", "/v1/me", ``, nil, 401, "unauthenticated", ""},
		{"malformed json", buyer, "POST", path, `{"data":`, key, 400, "validation", "body"},
		{"unknown body member", buyer, "POST", path, `{"data":{"text":"hi"},"actor":{"role":"arbitrator","id":"x"}}`, key, 400, "validation", "actor"},
		{"unknown data field", buyer, "POST", path, `{"data":{"text":"hi","urgent":true}}`, key, 400, "validation", "data.urgent"},
		// Issue 11: encoding/json matches names case-insensitively and keeps
		// the last of duplicates, so a gateway could read another request.
		{"member name in other case", buyer, "POST", path, `{"data":{"text":"ok","Text":"x"}}`, key, 400, "validation", "data.Text"},
		{"envelope and data in other case", buyer, "POST", path, `{"Data":{"TEXT":"x"}}`, key, 400, "validation", "Data"},
		{"duplicate data member", buyer, "POST", path, `{"data":{"text":"ok","text":"x"}}`, key, 400, "validation", "data.text"},
		{"duplicate envelope member", buyer, "POST", path, `{"data":{"text":"ok"},"data":{"text":"x"}}`, key, 400, "validation", "data"},
		{"system correlation id", buyer, "POST", path, `{"data":{"text":"x"},"correlation_id":"expire:T-1:x:1"}`, key, 400, "validation", "correlation_id"},
		{"wrong data type", buyer, "POST", path, `{"data":{"text":42}}`, key, 400, "validation", "data"},
		{"trailing data", buyer, "POST", path, `{"data":{"text":"hi"}} {}`, key, 400, "validation", "body"},
		{"trailing bracket", buyer, "POST", path, `{"data":{"text":"hi"}}]`, key, 400, "validation", "body"},
		{"trailing brace", buyer, "POST", path, "{\"data\":{\"text\":\"hi\"}}\n}", key, 400, "validation", "body"},
		{"no command id", buyer, "POST", path, `{"data":{"text":"hi"}}`, nil, 400, "validation", "Idempotency-Key"},
		{"ids disagree", buyer, "POST", path, `{"command_id":"k-2","data":{"text":"hi"}}`, key, 400, "validation", "command_id"},
		{"bad command id", buyer, "POST", path, `{"data":{"text":"hi"}}`, map[string]string{"Idempotency-Key": "has space"}, 400, "validation", "command_id"},
		{"bad If-Match", buyer, "POST", path, `{"data":{"text":"hi"}}`, with(key, "If-Match", "yesterday"), 400, "validation", "If-Match"},
		{"not json", buyer, "POST", path, `text=hi`, with(key, "Content-Type", "application/x-www-form-urlencoded"), 415, "unsupported_media_type", ""},
		// Only application/json itself skips the media type's parsing: a
		// type that merely starts like it is still refused.
		{"json text sequence", buyer, "POST", path, `{"data":{"text":"hi"}}`, with(key, "Content-Type", "application/json-seq"), 415, "unsupported_media_type", ""},
		{"json with a suffix", buyer, "POST", path, `{"data":{"text":"hi"}}`, with(key, "Content-Type", "application/jsonx"), 415, "unsupported_media_type", ""},
		{"text/json", buyer, "POST", path, `{"data":{"text":"hi"}}`, with(key, "Content-Type", "text/json"), 415, "unsupported_media_type", ""},
		{"two media types", buyer, "POST", path, `{"data":{"text":"hi"}}`, with(key, "Content-Type", "application/json, text/plain"), 415, "unsupported_media_type", ""},
		{"json, then junk", buyer, "POST", path, `{"data":{"text":"hi"}}`, with(key, "Content-Type", "application/json garbage"), 415, "unsupported_media_type", ""},
		// openapi.json lists application/json alone; +json types were
		// accepted until session 6.
		{"a vendor's +json type", buyer, "POST", path, `{"data":{"text":"hi"}}`, with(key, "Content-Type", "application/vnd.api+json"), 415, "unsupported_media_type", ""},
		{"merge patch", buyer, "POST", path, `{"data":{"text":"hi"}}`, with(key, "Content-Type", "application/merge-patch+json"), 415, "unsupported_media_type", ""},
		{"oversize", buyer, "POST", path, huge, key, 413, "request_too_large", ""},
		{"invalid by the domain", buyer, "POST", "/v1/tickets/T-2/commands/open_ticket", `{"data":{"order_id":"O-2","merchant_id":"m-1","kind":"teleport","currency":"CNY","amount_paid":1,"requested":1}}`, key, 400, "invalid_command", ""},
		{"refused by the domain", buyer, "POST", "/v1/tickets/T-1/commands/accept_offer", ``, key, 422, "wrong_state", ""},
		{"no such ticket", buyer, "POST", "/v1/tickets/T-9/commands/withdraw", ``, key, 404, "ticket_not_found", ""},
		{"no such route", buyer, "GET", "/v2/tickets", ``, nil, 404, "no_route", ""},
		{"wrong method", buyer, "DELETE", "/v1/tickets/T-1", ``, nil, 405, "method_not_allowed", ""},
		{"bad limit", buyer, "GET", "/v1/tickets?limit=0", ``, nil, 400, "validation", "limit"},
		{"bad cursor", buyer, "GET", "/v1/tickets?cursor=nonsense", ``, nil, 400, "validation", "cursor"},
		{"bad as_of", buyer, "GET", "/v1/tickets/T-1/history?as_of=yesterday", ``, nil, 400, "validation", "as_of"},
		{"bad stream start", l.as("auditor:au-1"), "GET", "/v1/events?after=-1", ``, nil, 400, "validation", "after"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.c.do(tc.method, tc.path, []byte(tc.body), tc.header)
			require.Equal(t, tc.status, res.status, string(res.body))
			p := res.problem(t)
			assert.Equal(t, tc.code, p.Code, p.Detail)
			assert.Equal(t, tc.field, p.Field, p.Detail)
			if tc.status == 401 {
				assert.Contains(t, res.header.Get("WWW-Authenticate"), "Bearer")
			}
			if tc.status == 405 {
				assert.Equal(t, "GET", res.header.Get("Allow"))
			}
		})
	}
	assert.Equal(t, head, l.head(), "nothing recorded")
}

// TestDuplicateCommandIsRecordedOnce posts the same command id twice, by
// header and by body: the second answer repeats the first, marked duplicate.
func TestDuplicateCommandIsRecordedOnce(t *testing.T) {
	t.Parallel()
	l := newLedger(t, options{})
	buyer := l.as("buyer:b-1")
	first := buyer.ok("T-1", "open_ticket", "c-open", openData("m-1"))
	head := l.head()

	again := buyer.command("T-1", "open_ticket", "c-open", openData("m-1"))
	require.Equal(t, http.StatusCreated, again.status, "the first answer's status: %s", again.body)
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	var dup httpapi.CommandResponse
	again.json(t, &dup)
	assert.True(t, dup.Duplicate)
	assert.Equal(t, first.Events, dup.Events, "the same events, byte for byte")
	assert.Equal(t, head, l.head())

	data, err := json.Marshal(map[string]any{"command_id": "c-open", "data": openData("m-1")})
	require.NoError(t, err)
	res := buyer.do("POST", "/v1/tickets/T-1/commands/open_ticket", data, nil)
	assert.Equal(t, http.StatusCreated, res.status, "the id in the body is the same command")
	assert.Equal(t, "true", res.header.Get("Idempotent-Replayed"))
	assert.Equal(t, head, l.head())

	// The same key for another body is not a replay.
	body := `{"command_id":"c-open","data":{"order_id":"O-1"}}`
	res = buyer.do("POST", "/v1/tickets/T-1/commands/open_ticket", []byte(body), nil)
	assert.Equal(t, http.StatusUnprocessableEntity, res.status)
	assert.Equal(t, "idempotency_key_reused", res.problem(t).Code)
	assert.Equal(t, head, l.head())

	other := buyer.command("T-1", "open_ticket", "c-open-2", openData("m-1"))
	assert.Equal(t, http.StatusUnprocessableEntity, other.status)
	assert.Equal(t, "ticket_exists", other.problem(t).Code)
	assert.Equal(t, float64(2), float64(l.api.Metrics().CommandCount("open_ticket", "duplicate")))
}

// TestSlowClientsAreTimedOut: a client that sends its headers too slowly
// is disconnected, and so is one that stops sending its body.
func TestSlowClientsAreTimedOut(t *testing.T) {
	t.Parallel()
	l := newLedger(t, options{})
	srv := httptest.NewUnstartedServer(checkContract(t, l.api))
	hs := httpapi.NewHTTPServer("", l.api, httpapi.Timeouts{ReadHeader: 100 * time.Millisecond, Read: 200 * time.Millisecond})
	srv.Config.ReadHeaderTimeout, srv.Config.ReadTimeout = hs.ReadHeaderTimeout, hs.ReadTimeout
	srv.Start()
	defer srv.Close()

	for _, partial := range []string{
		"GET /healthz HTTP/1.1\r\nHost: x\r\n", // headers never finished
		"POST /v1/tickets/T-1/commands/open_ticket HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-buyer-b-1\r\n" +
			"Idempotency-Key: k\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"data\":", // body stalls
	} {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		require.NoError(t, err)
		start := time.Now()
		_, err = conn.Write([]byte(partial))
		require.NoError(t, err)
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
		_, _ = bufio.NewReader(conn).ReadString(0) // returns when the server closes the connection
		elapsed := time.Since(start)
		assert.Less(t, elapsed, 3*time.Second, "the server hung up on the slow client")
		conn.Close()
	}
	assert.Zero(t, l.head(), "the stalled command recorded nothing")
}

// TestJSONMediaTypesAreAccepted: a command body is read whatever spelling
// of JSON's media type it comes with: application/json, which the
// shortcut leaves unparsed, and the spellings still parsed (another case, a
// charset, spaces).
func TestJSONMediaTypesAreAccepted(t *testing.T) {
	t.Parallel()
	l := newLedger(t, options{})
	buyer := l.as("buyer:b-1")
	buyer.ok("T-1", "open_ticket", "c-open", openData("m-1"))
	for i, ct := range []string{"application/json", "Application/JSON", "application/json; charset=utf-8",
		"application/json; charset=utf-16", "APPLICATION/JSON ; charset=UTF-8"} {
		t.Run(ct, func(t *testing.T) {
			head := l.head()
			res := buyer.do("POST", "/v1/tickets/T-1/commands/post_message", []byte(`{"data":{"text":"hi"}}`),
				map[string]string{"Idempotency-Key": "m-" + strconv.Itoa(i), "Content-Type": ct})
			require.Equal(t, http.StatusCreated, res.status, string(res.body))
			assert.Greater(t, l.head(), head, "recorded")
		})
	}
}
