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

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/eventstore/follow"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// parseMetrics parses a text exposition.
func parseMetrics(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	require.NoError(t, err)
	return families
}

// metricValue sums the series of a family whose labels include labels
// (name, value, ...): counters and gauges by value, histograms by count.
func metricValue(families map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	var sum float64
	for _, m := range families[name].GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			match = match && have[labels[i]] == labels[i+1]
		}
		if match {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

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
	before := parseMetrics(t, body)
	for _, name := range []string{"disputes_http_requests_total", "disputes_append_duration_seconds", "disputes_build_info",
		"go_goroutines", "go_build_info", "process_start_time_seconds", "process_cpu_seconds_total",
		"disputes_component_state", "disputes_event_streams", "disputes_projection_lag_events",
		"disputes_follower_lag_events", "disputes_follower_state", "disputes_follower_position"} {
		assert.Contains(t, before, name)
	}

	// A command moves the command, request and append series.
	body = `{"data":{"order_id":"O-1","merchant_id":"m-1","kind":"refund_only","reason":"quality","currency":"CNY","amount_paid":5000,"requested":5000,"order_shipped":true}}`
	req, err := http.NewRequest("POST", base+"/v1/tickets/T-1/commands/open_ticket", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok["buyer"])
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "c-1")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusCreated, res.StatusCode)
	status, body = get(ops+"/metrics", "")
	require.Equal(t, http.StatusOK, status)
	after := parseMetrics(t, body)
	moved := func(name string, labels ...string) float64 {
		return metricValue(after, name, labels...) - metricValue(before, name, labels...)
	}
	assert.Equal(t, 1.0, moved("disputes_commands_total", "command", "open_ticket", "outcome", "recorded"))
	assert.Equal(t, 1.0, moved("disputes_http_requests_total", "code", "201"))
	assert.GreaterOrEqual(t, moved("disputes_append_duration_seconds"), 1.0, "histogram count")
	status, _ = get(ops+"/v1/tickets", tok["auditor"])
	assert.Equal(t, http.StatusNotFound, status, "the metrics listener serves no ticket data")
	status, _ = get(base+"/metrics", tok["buyer"])
	assert.Equal(t, http.StatusForbidden, status, "a party's token reads no metrics")
	status, _ = get(base+"/metrics", tok["auditor"])
	assert.Equal(t, http.StatusOK, status)

	// /readyz on the operators' listener details each component and the
	// log follower it runs; the public one names states only.
	var projector httpapi.ComponentDetail
	require.Eventually(t, func() bool {
		status, body = get(ops+"/readyz", "")
		var detail httpapi.ReadinessDetail
		require.NoError(t, json.Unmarshal([]byte(body), &detail))
		for _, c := range detail.Components {
			if c.Name == "projector" {
				projector = c
			}
		}
		f := projector.Follower
		return status == http.StatusOK && f != nil && f.State == follow.Live && f.Position == 1 && f.Lag == 0
	}, 10*time.Second, 50*time.Millisecond, "the projector's follower, live at the one event recorded, is not in the operators' /readyz: %s", body)
	assert.Equal(t, "projector", projector.Lease)
	status, body = get(ops+"/metrics", "")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `disputes_follower_lag_events{component="projector"} 0`)
	assert.Contains(t, body, `disputes_follower_position{component="projector"} 1`)
	assert.Contains(t, body, `disputes_follower_state{component="projector",state="live"} 1`)
	status, body = get(base+"/readyz", "")
	assert.Equal(t, http.StatusOK, status)
	for _, detailOnly := range []string{"follower", "restarts", "since", "lease", "token"} {
		assert.NotContains(t, body, detailOnly, "the public /readyz")
	}

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
