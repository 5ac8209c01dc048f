package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// wireClient is the load generator of the http_commands figures: a
// minimal HTTP/1.1 client that opens ticket H-i by writing one request,
// laid out in advance but for the ticket id and the idempotency key, on a
// keep-alive connection and reading the answer back on the same
// goroutine. It reads only what it checks: the status line, the
// Content-Length and Connection headers, and the body, which must be the
// answer to that command (see checkOpened). Anything else — another
// status, a chunked or unframed body, a body that is not the command's
// answer — is an error, which ends the turn and fails the figure.
//
// It stands in for net/http's client because the figure measures the
// server: on a 2-core machine the client shares the cores with it, and
// net/http's transport (a reader and a writer goroutine per connection,
// header maps, a response object per request) cost about as much CPU per
// command as the server's own HTTP handling. What the server receives is
// what any HTTP/1.1 client sends.
type wireClient struct {
	addr  string
	token string
	body  []byte
	// idle holds the open connections between requests: at most one per
	// client goroutine, so each request finds one once all are dialled.
	idle chan *wireConn
}

// wireTimeout bounds one request's exchange, as the server's own read
// and write timeouts would.
const wireTimeout = 30 * time.Second

func newWireClient(addr, token string, body []byte, clients int) *wireClient {
	return &wireClient{addr: addr, token: token, body: body, idle: make(chan *wireConn, clients)}
}

// wireConn is one keep-alive connection and the buffers its requests reuse.
type wireConn struct {
	conn net.Conn
	r    *bufio.Reader
	req  []byte
	res  []byte
	want []byte // the expected answer's fixed parts, see checkOpened
}

// close closes every idle connection.
func (c *wireClient) close() {
	for {
		select {
		case wc := <-c.idle:
			_ = wc.conn.Close()
		default:
			return
		}
	}
}

// open opens ticket H-i with command id c-i.
func (c *wireClient) open(ctx context.Context, i int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var wc *wireConn
	select {
	case wc = <-c.idle:
	default:
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", c.addr)
		if err != nil {
			return fmt.Errorf("open H-%d over HTTP: %w", i, err)
		}
		wc = &wireConn{conn: conn, r: bufio.NewReaderSize(conn, 4096)}
	}
	keep, err := wc.exchange(c, i)
	if err != nil || !keep {
		_ = wc.conn.Close()
		if err != nil {
			return fmt.Errorf("open H-%d over HTTP: %w", i, err)
		}
		return nil
	}
	select {
	case c.idle <- wc:
	default:
		_ = wc.conn.Close()
	}
	return nil
}

// exchange sends the request for ticket H-i and reads and checks its
// answer. keep says whether the connection may carry another request.
func (wc *wireConn) exchange(c *wireClient, i int64) (keep bool, err error) {
	if err := wc.conn.SetDeadline(time.Now().Add(wireTimeout)); err != nil {
		return false, err
	}
	wc.req = appendOpenRequest(wc.req[:0], c.addr, c.token, i, c.body)
	if _, err := wc.conn.Write(wc.req); err != nil {
		return false, err
	}
	status, length, keep, err := readHead(wc.r)
	if err != nil {
		return false, err
	}
	if length < 0 {
		return false, fmt.Errorf("status %d: the answer has no Content-Length", status)
	}
	if length > 1<<20 {
		return false, fmt.Errorf("status %d: a %d-byte answer", status, length)
	}
	wc.res = append(wc.res[:0], make([]byte, length)...)
	if _, err := io.ReadFull(wc.r, wc.res); err != nil {
		return false, fmt.Errorf("status %d: reading the answer: %w", status, err)
	}
	if status != 201 {
		return false, fmt.Errorf("status %d: %.300s", status, wc.res)
	}
	wc.want, err = checkOpened(wc.want[:0], wc.res, i)
	return keep, err
}

// appendOpenRequest appends the request that opens ticket H-i.
func appendOpenRequest(b []byte, host, token string, i int64, body []byte) []byte {
	b = append(b, "POST /v1/tickets/H-"...)
	b = strconv.AppendInt(b, i, 10)
	b = append(b, "/commands/open_ticket HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\nAuthorization: Bearer "...)
	b = append(b, token...)
	b = append(b, "\r\nContent-Type: application/json\r\nIdempotency-Key: c-"...)
	b = strconv.AppendInt(b, i, 10)
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	return append(b, body...)
}

// readHead reads an HTTP/1.1 response's status line and headers. length
// is the Content-Length, -1 when there is none or the body is chunked;
// keep is false when the server closes the connection after this answer.
func readHead(r *bufio.Reader) (status int, length int64, keep bool, err error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, -1, false, fmt.Errorf("reading the status line: %w", err)
	}
	if len(line) < 14 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) || line[12] != ' ' {
		return 0, -1, false, fmt.Errorf("not an HTTP/1.1 status line: %q", line)
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, -1, false, fmt.Errorf("status line %q: %w", line, err)
	}
	length, keep = -1, true
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return status, -1, false, fmt.Errorf("reading the headers: %w", err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			return status, length, keep, nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return status, -1, false, fmt.Errorf("header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(value), 10, 64); err != nil || length < 0 {
				return status, -1, false, fmt.Errorf("Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return status, -1, false, fmt.Errorf("status %d: Transfer-Encoding %q", status, value)
		case bytes.EqualFold(name, []byte("Connection")):
			keep = !bytes.EqualFold(value, []byte("close"))
		}
	}
}

// errNotOpened is an answer with status 201 that is not the answer to
// the command sent.
var errNotOpened = errors.New("the answer is not the opened ticket")

// checkOpened checks that res is the API's answer to opening ticket H-i
// with command id c-i, recorded now: a JSON object that starts with that
// ticket and command id, duplicate false, revision 0, and one event, and
// ends with the ticket's view of ticket H-i. want is scratch space,
// returned for reuse.
func checkOpened(want, res []byte, i int64) ([]byte, error) {
	want = append(want, `{"ticket_id":"H-`...)
	want = strconv.AppendInt(want, i, 10)
	want = append(want, `","command_id":"c-`...)
	want = strconv.AppendInt(want, i, 10)
	want = append(want, `","duplicate":false,"revision":0,"events":[{"id":"`...)
	head := len(want)
	want = append(want, `}],"ticket":{"ticket_id":"H-`...)
	want = strconv.AppendInt(want, i, 10)
	want = append(want, `","`...)
	view := want[head:]
	switch {
	case !bytes.HasPrefix(res, want[:head]):
		return want, fmt.Errorf("%w: %.120s", errNotOpened, res)
	case !bytes.HasSuffix(res, []byte("}}\n")):
		return want, fmt.Errorf("%w: it ends %q", errNotOpened, res[max(0, len(res)-20):])
	case bytes.Count(res, view) != 1:
		return want, fmt.Errorf("%w: no one event followed by ticket H-%d's view", errNotOpened, i)
	}
	return want, nil
}
