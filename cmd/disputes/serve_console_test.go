package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/internal/testenv"
)

// serve mounts the console beside the API: / leads to it, a token signs in,
// and the auditor page verifies a ticket against the server's own seal key.
func TestServeMountsTheConsole(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, tokens := filepath.Join(dir, "ledger.db"), filepath.Join(dir, "tokens.json")
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
		done <- run(ctx, []string{"serve", "--db", db, "--tokens", tokens, "--addr", addr, "--key", key,
			"--seal-every", "1", "--seal-interval", "20ms"}, strings.NewReader(""), io.Discard, logs)
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	base := "http://" + addr
	waitReady(t, base, logs)

	body := `{"data":{"order_id":"O-1","merchant_id":"m-1","kind":"refund_only","reason":"quality","currency":"CNY","amount_paid":5000,"requested":5000,"order_shipped":true}}`
	req, err := http.NewRequest("POST", base+"/v1/tickets/T-1/commands/open_ticket", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+buyer)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "c-1")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusCreated, res.StatusCode)
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), `"msg":"sealed"`) }, 10*time.Second, 10*time.Millisecond)

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err = client.Get(base + "/")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/console/", res.Header.Get("Location"))

	res, err = client.PostForm(base+"/console/signin", url.Values{"token": {auditor}})
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	res, err = client.Get(base + "/console/audit/T-1")
	require.NoError(t, err)
	page, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, string(page))
	assert.Contains(t, string(page), `<span id="verdict">PASS</span>`)
	assert.Contains(t, string(page), "pinned by this server", "the auditor page pins the server's seal key")

	// The API is where it was.
	res, err = http.Get(base + "/v1/tickets/T-1")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
}
