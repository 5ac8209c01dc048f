package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit/checkpoint"
	"github.com/disputes-ledger/disputes/audit/checkpointdir"
	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// waitReady waits until the server at base answers /readyz with 200:
// within 30 s, as startReady waits for a replica, since a server started
// after a SIGKILL recovers its ledger first and under a loaded machine
// (the full suite beside other work) 15 s were once not enough.
func waitReady(t *testing.T, base string, logs *testenv.LogBuffer) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	require.Eventually(t, func() bool {
		res, err := client.Get(base + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 30*time.Second, 10*time.Millisecond, "server never became ready: %s", logs)
}

func TestTokensAdd(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "tokens.json")
	code, out, errOut := runCLI(t, "", "tokens", "add", "--file", file, "--role", "buyer", "--id", "b-1")
	require.Equal(t, 0, code, errOut)
	token := strings.TrimSpace(out)
	assert.True(t, strings.HasPrefix(token, "dsp_"))
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.NotContains(t, string(data), token)

	code, _, errOut = runCLI(t, "", "tokens", "add", "--file", file, "--role", "system", "--id", "scheduler")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "system role")
	code, _, _ = runCLI(t, "", "tokens", "add", "--file", file, "--role", "buyer")
	assert.Equal(t, 2, code, "--id is required")
	code, _, _ = runCLI(t, "", "tokens")
	assert.Equal(t, 2, code)
}

// TestServeEndToEnd starts `disputes serve` on a fresh ledger with one
// command, records a command over HTTP with a token from `tokens add`, and
// stops it with the context, as SIGTERM does.
func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, tokens := filepath.Join(dir, "ledger.db"), filepath.Join(dir, "tokens.json")
	code, out, errOut := runCLI(t, "", "tokens", "add", "--file", tokens, "--role", "buyer", "--id", "b-1")
	require.Equal(t, 0, code, errOut)
	token := strings.TrimSpace(out)

	key, pub, cps := filepath.Join(dir, "seal.pem"), filepath.Join(dir, "seal.pub.pem"), filepath.Join(dir, "checkpoints")
	code, _, errOut = runCLI(t, "", "keys", "--generate", key, "--out", pub)
	require.Equal(t, 0, code, errOut)

	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testenv.LogBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--db", db, "--tokens", tokens, "--addr", addr,
			"--key", key, "--seal-every", "1", "--seal-interval", "20ms", "--checkpoints", cps}, strings.NewReader(""), io.Discard, logs)
	}()
	base := "http://" + addr
	waitReady(t, base, logs)

	body := `{"data":{"order_id":"O-1","merchant_id":"m-1","kind":"refund_only","reason":"quality","currency":"CNY","amount_paid":5000,"requested":5000,"order_shipped":true}}`
	req, err := http.NewRequest("POST", base+"/v1/tickets/T-1/commands/open_ticket", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "c-1")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var answer struct {
		Revision uint64 `json:"revision"`
		Ticket   struct {
			Status  string `json:"status"`
			BuyerID string `json:"buyer_id"`
		} `json:"ticket"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&answer))
	res.Body.Close()
	assert.Equal(t, http.StatusCreated, res.StatusCode)
	assert.Equal(t, "awaiting_merchant", answer.Ticket.Status)
	assert.Equal(t, "b-1", answer.Ticket.BuyerID)

	res, err = http.Get(base + "/v1/tickets/T-1")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode, "reads need a token too")
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), `"msg":"sealed"`) },
		10*time.Second, 10*time.Millisecond, "serve seals the log when given a key: %s", logs)

	// The seal left the ledger: served without a token, and in the directory.
	var served []byte
	require.Eventually(t, func() bool {
		res, err := http.Get(base + "/v1/checkpoint")
		if err != nil {
			return false
		}
		defer res.Body.Close()
		served, _ = io.ReadAll(res.Body)
		return res.StatusCode == http.StatusOK && res.Header.Get("Content-Type") == "text/plain; charset=utf-8"
	}, 10*time.Second, 10*time.Millisecond)
	pubPEM, err := os.ReadFile(pub)
	require.NoError(t, err)
	pubKey, err := seal.ParsePublicKeyPEM(pubPEM)
	require.NoError(t, err)
	cp, err := checkpoint.Open(served, pubKey)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), cp.Size)
	inDir, err := os.ReadFile(filepath.Join(cps, checkpointdir.LatestFile))
	require.NoError(t, err)
	assert.Equal(t, served, inDir)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, logs.String())
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	assert.Contains(t, logs.String(), `"msg":"serving"`)
	assert.Contains(t, logs.String(), `"command_id":"c-1"`)

	// The ledger it wrote is an ordinary ledger.
	code, out, errOut = runCLI(t, "", "show", "--db", db, "T-1")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "awaiting_merchant")
	code, out, errOut = runCLI(t, "", "verify", "--db", db, "--public-key", pub, "--trusted-checkpoint", filepath.Join(cps, checkpointdir.LatestFile))
	assert.Equal(t, 0, code, "the sealed ledger verifies: %s%s", out, errOut)
}

func TestServeNeedsAWayToAuthenticate(t *testing.T) {
	t.Parallel()
	code, _, errOut := runCLI(t, "", "serve", "--db", filepath.Join(t.TempDir(), "l.db"), "--addr", "127.0.0.1:0")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--tokens")
}

// TestSchedulerCommandFiresOverdueDeadlines records a ticket whose
// merchant_response deadline is long past, runs `disputes scheduler` until
// the expiry is recorded, and checks the ticket closed as refunded.
func TestSchedulerCommandFiresOverdueDeadlines(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ledger.db")
	line := `{"command_id":"c1","ticket_id":"T-1","actor":{"role":"buyer","id":"b-1"},"command":"open_ticket","at":"2026-01-05T02:00:00Z","data":{"order_id":"O-1","merchant_id":"m-1","kind":"refund_only","reason":"quality","currency":"CNY","amount_paid":5000,"requested":5000,"order_shipped":true}}`
	code, _, errOut := runCLI(t, line+"\n", "exec", "--db", db, "--client-time")
	require.Equal(t, 0, code, errOut)

	ctx, cancel := context.WithCancel(context.Background())
	logs := &testenv.LogBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"scheduler", "--db", db}, strings.NewReader(""), io.Discard, logs) }()
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), `"msg":"deadline expired"`) },
		10*time.Second, 10*time.Millisecond, "no expiry: %s", logs)
	cancel()
	require.Equal(t, 0, <-done, logs.String())
	assert.Contains(t, logs.String(), fmt.Sprintf(`"command_id":"expire:T-1:merchant_response:%d"`,
		time.Date(2026, 1, 8, 2, 0, 0, 0, time.UTC).Unix()))

	code, out, errOut := runCLI(t, "", "show", "--db", db, "T-1")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "refunded")
}
