package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/internal/testenv"
)

// startServeProcess runs `disputes serve --no-scheduler` as its own
// process (the test binary running main) and returns its address, its log
// and a channel that yields its exit.
func startServeProcess(t *testing.T, dir string, args ...string) (addr string, logs *testenv.LogBuffer, exited <-chan error, cmd *exec.Cmd) {
	t.Helper()
	return startServeProcessWith(t, dir, append([]string{"--no-scheduler"}, args...)...)
}

// startServeProcessWith is startServeProcess with the scheduler unless
// args turn it off.
func startServeProcessWith(t *testing.T, dir string, args ...string) (addr string, logs *testenv.LogBuffer, exited <-chan error, cmd *exec.Cmd) {
	t.Helper()
	addr = freeAddr(t)
	cmd = exec.Command(os.Args[0], append([]string{"serve", "--db", filepath.Join(dir, "ledger.db"), "--addr", addr,
		"--tokens", filepath.Join(dir, "tokens.json")}, args...)...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	logs = &testenv.LogBuffer{}
	cmd.Stderr = logs
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	waitReady(t, "http://"+addr, logs)
	return addr, logs, done, cmd
}

// inFlight reads serve's disputes_http_requests_in_flight from its
// operators' metrics listener.
func inFlight(t *testing.T, metricsAddr string) float64 {
	t.Helper()
	res, err := http.Get("http://" + metricsAddr + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return metricValue(parseMetrics(t, string(body)), "disputes_http_requests_in_flight")
}

// awaitInFlight waits until serve has n requests in its handlers: the
// requests sent have been read up to their bodies and wait there.
func awaitInFlight(t *testing.T, metricsAddr string, n float64) {
	t.Helper()
	within(t, 10*time.Second, func() bool { return inFlight(t, metricsAddr) >= n }, fmt.Sprintf("%g requests in flight", n))
}

// sendHalfACommand opens a connection and sends an open_ticket command's
// headers and the first part of its body: the request is in flight, its
// handler waiting for the rest. send writes the rest and reads the answer.
func sendHalfACommand(t *testing.T, addr, token string) (send func() *http.Response) {
	t.Helper()
	body := `{"data":{"order_id":"O-1","merchant_id":"m-1","kind":"refund_only","reason":"quality","currency":"CNY","amount_paid":5000,"requested":5000,"order_shipped":true}}`
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = fmt.Fprintf(conn, "POST /v1/tickets/T-1/commands/open_ticket HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nIdempotency-Key: c-1\r\nContent-Length: %d\r\n\r\n%s", addr, token, len(body), body[:20])
	require.NoError(t, err)
	return func() *http.Response {
		_, err := io.WriteString(conn, body[20:])
		require.NoError(t, err)
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err)
		return res
	}
}

// TestServeShutdownFinishesCommandsInFlight is the regression test of
// issue 16 item 14: SIGTERM cancelled a command in flight (499, nothing
// recorded). Now serve stops accepting, ends event streams, lets the
// command finish — recorded and answered 201 — and exits 0.
func TestServeShutdownFinishesCommandsInFlight(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	buyer := addToken(t, filepath.Join(dir, "tokens.json"), "buyer", "b-1")
	auditor := addToken(t, filepath.Join(dir, "tokens.json"), "auditor", "au-1")
	metricsAddr := freeAddr(t)
	addr, logs, exited, cmd := startServeProcess(t, dir, "--shutdown-timeout", "20s", "--metrics-addr", metricsAddr)

	// An event stream open before the signal.
	req, err := http.NewRequest("GET", "http://"+addr+"/v1/events", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+auditor)
	stream, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer stream.Body.Close()
	require.Equal(t, http.StatusOK, stream.StatusCode)
	streamEnded := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, stream.Body)
		streamEnded <- err
	}()

	send := sendHalfACommand(t, addr, buyer)
	awaitInFlight(t, metricsAddr, 2) // the stream and the command, whose handler waits for the rest of its body
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	within(t, 5*time.Second, func() bool { return strings.Contains(logs.String(), `"msg":"shutting down"`) }, "serve starts shutting down")

	select {
	case err := <-streamEnded:
		assert.NoError(t, err, "the stream ends cleanly")
	case <-time.After(5 * time.Second):
		t.Fatal("the event stream was not ended by the shutdown")
	}
	_, err = net.DialTimeout("tcp", addr, time.Second)
	assert.Error(t, err, "no new connection is accepted while draining")

	select {
	case err := <-exited:
		t.Fatalf("serve exited (%v) with a command in flight: %s", err, logs)
	case <-time.After(300 * time.Millisecond): // the shutdown waits for the command, however long it takes
	}
	res := send()
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusCreated, res.StatusCode, "%s", answer)
	assert.Contains(t, string(answer), "awaiting_merchant")

	select {
	case err := <-exited:
		require.NoError(t, err, "serve exits 0 after draining: %s", logs)
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not exit")
	}
	assert.Contains(t, logs.String(), `"msg":"stopped"`)

	code, out, errOut := runCLI(t, "", "show", "T-1", "--db", filepath.Join(dir, "ledger.db"))
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "awaiting_merchant", "the command was recorded")
}

// TestServeShutdownIsBounded: a request that does not finish within
// --shutdown-timeout is cut off, and serve exits 1 saying so.
func TestServeShutdownIsBounded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	buyer := addToken(t, filepath.Join(dir, "tokens.json"), "buyer", "b-1")
	metricsAddr := freeAddr(t)
	addr, logs, exited, cmd := startServeProcess(t, dir, "--shutdown-timeout", "300ms", "--metrics-addr", metricsAddr)
	_ = sendHalfACommand(t, addr, buyer) // its body never completes
	awaitInFlight(t, metricsAddr, 1)

	start := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		var exit *exec.ExitError
		require.True(t, errors.As(err, &exit), "serve exits with a status: %v", err)
		assert.Equal(t, 1, exit.ExitCode())
		assert.Less(t, time.Since(start), 5*time.Second)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not exit after its shutdown timeout")
	}
	assert.Contains(t, logs.String(), "--shutdown-timeout 300ms")

	code, _, _ := runCLI(t, "", "show", "T-1", "--db", filepath.Join(dir, "ledger.db"))
	assert.Equal(t, 1, code, "the unfinished command recorded nothing")
}
