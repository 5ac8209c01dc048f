package main

import (
	"context"
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

// TestServeMetricsListener checks `serve --metrics-addr`: the operators'
// listener serves metrics without a token and no ticket data, while on
// the API's listener a buyer's token reads no metrics.
func TestServeMetricsListener(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, tokens := filepath.Join(dir, "ledger.db"), filepath.Join(dir, "tokens.json")
	tok := map[string]string{}
	for _, who := range [][2]string{{"buyer", "b-1"}, {"auditor", "au-1"}} {
		code, out, errOut := runCLI(t, "", "tokens", "add", "--file", tokens, "--role", who[0], "--id", who[1])
		require.Equal(t, 0, code, errOut)
		tok[who[0]] = strings.TrimSpace(out)
	}
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testenv.LogBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--db", db, "--tokens", tokens, "--addr", addr, "--metrics-addr", metricsAddr,
			"--max-streams-per-principal", "2"}, strings.NewReader(""), io.Discard, logs)
	}()
	base, ops := "http://"+addr, "http://"+metricsAddr
	waitReady(t, base, logs)

	get := func(url, token string) (int, string) {
		req, err := http.NewRequest("GET", url, nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(b)
	}
	status, body := get(ops+"/metrics", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "disputes_http_requests_total")
	status, _ = get(ops+"/v1/tickets", tok["auditor"])
	assert.Equal(t, http.StatusNotFound, status, "the metrics listener serves no ticket data")
	status, _ = get(base+"/metrics", tok["buyer"])
	assert.Equal(t, http.StatusForbidden, status, "a party's token reads no metrics")
	status, _ = get(base+"/metrics", tok["auditor"])
	assert.Equal(t, http.StatusOK, status)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, logs.String())
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	assert.Contains(t, logs.String(), `"msg":"serving metrics"`)

	code, _, errOut := runCLI(t, "", "serve", "--db", db, "--tokens", tokens, "--addr", "127.0.0.1:0",
		"--max-streams", "4", "--max-streams-per-principal", "5")
	assert.Equal(t, 2, code, "a principal's share cannot exceed the whole")
	assert.Contains(t, errOut, "--max-streams-per-principal")
}
