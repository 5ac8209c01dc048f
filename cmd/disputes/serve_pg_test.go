package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/internal/testenv"
)

// TestServeOnPostgres runs `disputes serve` with the events and the read
// models in PostgreSQL, chosen by flags alone: a command recorded over HTTP
// shows up in the ticket list the projector keeps there.
func TestServeOnPostgres(t *testing.T) {
	t.Parallel()
	storeURL, _ := testenv.PostgresSchema(t)
	readURL, _ := testenv.PostgresSchema(t)
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens.json")
	token := func(role, id string) string {
		code, out, errOut := runCLI(t, "", "tokens", "add", "--file", tokens, "--role", role, "--id", id)
		require.Equal(t, 0, code, errOut)
		return strings.TrimSpace(out)
	}
	buyer, auditor := token("buyer", "b-1"), token("auditor", "au-1")
	key, pub := filepath.Join(dir, "seal.pem"), filepath.Join(dir, "seal.pub.pem")
	code, _, errOut := runCLI(t, "", "keys", "--generate", key, "--out", pub)
	require.Equal(t, 0, code, errOut)

	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testenv.LogBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--store", storeURL, "--projections", readURL, "--db", filepath.Join(dir, "unused.db"),
			"--tokens", tokens, "--addr", addr, "--key", key, "--seal-every", "1", "--seal-interval", "20ms"}, strings.NewReader(""), io.Discard, logs)
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			assert.Equal(t, 0, code, logs.String())
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	}
	defer stop()
	base := "http://" + addr
	waitReady(t, base, logs)

	body := `{"data":{"order_id":"O-1","merchant_id":"m-1","kind":"refund_only","reason":"quality","currency":"CNY","amount_paid":5000,"requested":5000,"order_shipped":true}}`
	req, err := http.NewRequest("POST", base+"/v1/tickets/T-PG/commands/open_ticket", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+buyer)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "c-pg")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusCreated, res.StatusCode, logs.String())

	require.Eventually(t, func() bool {
		req, _ := http.NewRequest("GET", base+"/v1/tickets?limit=10", nil)
		req.Header.Set("Authorization", "Bearer "+auditor)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		defer res.Body.Close()
		var page struct {
			Items []struct {
				TicketID string `json:"ticket_id"`
			} `json:"items"`
		}
		return res.StatusCode == http.StatusOK && json.NewDecoder(res.Body).Decode(&page) == nil &&
			len(page.Items) == 1 && page.Items[0].TicketID == "T-PG"
	}, 15*time.Second, 50*time.Millisecond, "the PostgreSQL read model never listed the ticket: %s", logs)

	require.Eventually(t, func() bool { return strings.Contains(logs.String(), `"msg":"sealed"`) },
		15*time.Second, 10*time.Millisecond, "serve --key seals the PostgreSQL log: %s", logs)
	stop()

	// The seals live in PostgreSQL with the events: the ledger verifies
	// from the store URL alone, and nothing was written beside it.
	code, out, errOut := runCLI(t, "", "verify", "--store", storeURL, "--public-key", pub)
	require.Equal(t, 0, code, out+errOut)
	assert.True(t, strings.HasPrefix(out, "PASS"), out)
	assert.NoFileExists(t, filepath.Join(dir, "unused.db"), "no SQLite file beside a PostgreSQL ledger")
}
