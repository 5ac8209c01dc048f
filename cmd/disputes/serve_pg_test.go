package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/cmd/internal/storeurl"
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

// withPassword puts a password into a PostgreSQL URL: the test server
// trusts local connections, so it is never checked, only printed or not.
func withPassword(t *testing.T, raw, password string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	user := "postgres"
	if u.User != nil {
		user = u.User.Username()
	}
	u.User = url.UserPassword(user, password)
	return u.String()
}

// TestPostgresLedgerKeepsItsReadModels runs project, query and serve on a
// PostgreSQL ledger without --projections: the read models live in that
// database, no SQLite file appears, the start-up log names the store and
// the read models without their password, and the API lists a ticket in
// exactly the shape `query tickets --format json` prints it.
func TestPostgresLedgerKeepsItsReadModels(t *testing.T) {
	t.Parallel()
	const password = "s3cret-never-logged"
	storeURL, _ := testenv.PostgresSchema(t)
	storeURL = withPassword(t, storeURL, password)
	dir := t.TempDir()
	unused := filepath.Join(dir, "disputes.db")
	code, _, errOut := runCLI(t, execInput, "exec", "--store", storeURL, "--db", unused, "--client-time")
	require.Equal(t, 1, code, "the input holds refused lines: "+errOut)
	code, out, errOut := runCLI(t, "", "project", "--store", storeURL, "--db", unused)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "at head")
	assert.NoFileExists(t, unused, "project keeps a PostgreSQL ledger's read models in PostgreSQL")
	fromCLI := queryJSON[[]map[string]any](t, "query", "tickets", "--store", storeURL, "--db", unused, "--format", "json")
	require.Len(t, fromCLI, 1)
	assert.Equal(t, "negotiation", fromCLI[0]["status"])
	assert.NoFileExists(t, unused)

	tokens := filepath.Join(dir, "tokens.json")
	code, out, errOut = runCLI(t, "", "tokens", "add", "--file", tokens, "--role", "auditor", "--id", "au-1")
	require.Equal(t, 0, code, errOut)
	auditor := strings.TrimSpace(out)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testenv.LogBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--store", storeURL, "--db", unused, "--tokens", tokens, "--addr", addr,
			"--no-scheduler"}, strings.NewReader(""), io.Discard, logs)
	}()
	defer func() {
		cancel()
		select {
		case code := <-done:
			assert.Equal(t, 0, code, logs.String())
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	base := "http://" + addr
	waitReady(t, base, logs)
	var fromAPI []map[string]any
	require.Eventually(t, func() bool {
		req, _ := http.NewRequest("GET", base+"/v1/tickets", nil)
		req.Header.Set("Authorization", "Bearer "+auditor)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		defer res.Body.Close()
		var page struct {
			Items []map[string]any `json:"items"`
		}
		ok := res.StatusCode == http.StatusOK && json.NewDecoder(res.Body).Decode(&page) == nil && len(page.Items) == 1
		fromAPI = page.Items
		return ok
	}, 15*time.Second, 50*time.Millisecond, "the ticket never showed up: %s", logs)
	assert.Equal(t, fromCLI, fromAPI, "the API and the CLI print one row shape")

	log := logs.String()
	assert.NotContains(t, log, password)
	assert.NotContains(t, log, `"db":"`, "no SQLite file is named beside a PostgreSQL ledger")
	redacted := storeurl.Redacted(storeURL)
	assert.Contains(t, log, `"store":"`+redacted+`"`)
	assert.Contains(t, log, `"read_models":"`+redacted+`"`)
	assert.NoFileExists(t, unused)
}
