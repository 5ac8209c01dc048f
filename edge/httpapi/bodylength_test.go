package httpapi_test

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
)

// TestDeclaredLengthsDoNotDecideTheBody: the server reads a command's body
// into a buffer of the length the request declares (readBody). Whatever a
// client declares — less than it sends, more, nothing (chunked), past the
// bound — the command recorded is the one sent whole, or none.
func TestDeclaredLengthsDoNotDecideTheBody(t *testing.T) {
	t.Parallel()
	l := newLedger(t, options{})
	buyer := l.as("buyer:b-1")
	buyer.ok("T-1", "open_ticket", "c-open", openData("m-1"))
	max := commands.DefaultLimits().MaxRequestBytes
	const body = `{"data":{"text":"hello there"}}`
	chunked := func(chunks ...string) string {
		var b strings.Builder
		for _, c := range chunks {
			b.WriteString(strconv.FormatInt(int64(len(c)), 16) + "\r\n" + c + "\r\n")
		}
		return b.String() + "0\r\n\r\n"
	}
	oversize := `{"data":{"text":"` + strings.Repeat("a", max) + `"}}`

	for _, tc := range []struct {
		name     string
		length   string // Content-Length, or "chunked"
		body     string
		status   int // 0: any refusal, or none at all (the server hung up)
		recorded bool
	}{
		{"shorter than sent", strconv.Itoa(len(body) - 3), body, http.StatusBadRequest, false},
		// The declared bytes are the body; what follows is the next request's.
		{"shorter, ending where a valid object does", strconv.Itoa(len(`{"data":{"text":"a"}}`)), `{"data":{"text":"a"}}{"data":{"text":"b"}}`, http.StatusCreated, true},
		{"longer than sent", strconv.Itoa(len(body) + 10), body, 0, false},
		{"a valid object, then more within the length", strconv.Itoa(len(body) + 2), body + " x", http.StatusBadRequest, false},
		{"chunked", "chunked", chunked(body[:5], body[5:]), http.StatusCreated, true},
		{"chunked past the bound", "chunked", chunked(oversize[:max/2], oversize[max/2:]), http.StatusRequestEntityTooLarge, false},
		{"declared and sent past the bound", strconv.Itoa(len(oversize)), oversize, http.StatusRequestEntityTooLarge, false},
		{"declared past the bound, little sent", strconv.Itoa(10 * max), body, 0, false},
		{"declared zero", "0", body, 0, false},
	} {
		key := "k-" + strconv.Itoa(len(tc.name)) + "-" + strconv.Itoa(len(tc.body))
		t.Run(tc.name, func(t *testing.T) {
			head := l.head()
			conn, err := net.Dial("tcp", l.srv.Listener.Addr().String())
			require.NoError(t, err)
			defer conn.Close()
			framing := "Content-Length: " + tc.length
			if tc.length == "chunked" {
				framing = "Transfer-Encoding: chunked"
			}
			req := "POST /v1/tickets/T-1/commands/post_message HTTP/1.1\r\nHost: x\r\n" +
				"Authorization: Bearer " + l.tokens["buyer:b-1"] + "\r\nIdempotency-Key: " + key + "\r\n" +
				"Content-Type: application/json\r\n" + framing + "\r\n\r\n" + tc.body
			_, err = conn.Write([]byte(req))
			require.NoError(t, err)
			require.NoError(t, conn.(*net.TCPConn).CloseWrite()) // nothing more comes
			require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			switch {
			case tc.status != 0:
				require.NoError(t, err)
				res.Body.Close()
				assert.Equal(t, tc.status, res.StatusCode)
			case err == nil:
				res.Body.Close()
				assert.GreaterOrEqual(t, res.StatusCode, 400, "refused, or no answer at all")
			}
			if tc.recorded {
				assert.Equal(t, head+1, l.head(), "the message sent whole is recorded")
				return
			}
			assert.Equal(t, head, l.head(), "nothing recorded")
		})
	}
}
