package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/internal/testenv"
)

// scrape serves m as /metrics does and parses the text exposition.
func scrape(t *testing.T, m *Metrics, log *slog.Logger) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	newMetricsHandler(m, errorLog{log}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.True(t, strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain; version=0.0.4"), rec.Header().Get("Content-Type"))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(io.Reader(rec.Body))
	require.NoError(t, err)
	return families
}

// value is the value of the series of family name whose labels include
// want (name, value, ...); found is false when there is none.
func value(families map[string]*dto.MetricFamily, name string, want ...string) (v float64, found bool) {
	f := families[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if labels[want[i]] != want[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

func bucket(t *testing.T, families map[string]*dto.MetricFamily, name string, le float64, labels ...string) uint64 {
	t.Helper()
	f := families[name]
	require.NotNil(t, f, name)
	for _, m := range f.GetMetric() {
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				found = found || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
			}
			match = match && found
		}
		if !match {
			continue
		}
		for _, b := range m.GetHistogram().GetBucket() {
			if b.GetUpperBound() == le {
				return b.GetCumulativeCount()
			}
		}
	}
	t.Fatalf("%s: no bucket le=%g for %v", name, le, labels)
	return 0
}

func TestMetricsExposition(t *testing.T) {
	t.Parallel()
	m := NewMetrics()
	logs := &testenv.LogBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))

	before := scrape(t, m, log)
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "go_gc_duration_seconds", "go_build_info",
		"process_start_time_seconds", "process_resident_memory_bytes", "process_open_fds", "disputes_build_info",
		"disputes_append_duration_seconds"} {
		assert.Contains(t, before, name, "a series of the runtime, the process or the build")
	}
	build, ok := value(before, "disputes_build_info")
	assert.True(t, ok)
	assert.Equal(t, 1.0, build)
	for _, l := range before["disputes_build_info"].GetMetric()[0].GetLabel() {
		assert.NotEmpty(t, l.GetValue(), l.GetName())
	}
	_, ok = value(before, "disputes_commands_total", "command", "agree")
	assert.False(t, ok, "no command yet")

	m.observeRequest("GET /v1/tickets/{ticket_id}", 200, 3*time.Millisecond)
	m.observeRequest("GET /v1/tickets/{ticket_id}", 200, 30*time.Second)
	m.observeRequest("GET /v1/tickets/{ticket_id}", 404, time.Millisecond)
	m.observeCommand("agree", "recorded")
	m.observeCommand("agree", "recorded")
	m.ObserveAppend(700 * time.Microsecond)
	m.Register(Collector{Name: "x_gauge", Help: "a gauge\nover two lines", Type: "gauge",
		Collect: func(context.Context) ([]Sample, error) {
			return []Sample{{Labels: []string{"name", `a "quoted" \ value` + "\n"}, Value: 1.5}}, nil
		}})
	m.Register(Collector{Name: "x_total", Help: "a counter", Type: "counter",
		Collect: func(context.Context) ([]Sample, error) { return []Sample{{Value: 7}}, nil }})

	after := scrape(t, m, log)
	route := []string{"route", "GET /v1/tickets/{ticket_id}"}
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"disputes_http_requests_total", []string{"route", route[1], "code", "200"}, 2},
		{"disputes_http_requests_total", []string{"route", route[1], "code", "404"}, 1},
		{"disputes_http_request_duration_seconds", route, 3},
		{"disputes_commands_total", []string{"command", "agree", "outcome", "recorded"}, 2},
		{"disputes_append_duration_seconds", nil, 1},
		{"x_gauge", []string{"name", `a "quoted" \ value` + "\n"}, 1.5},
		{"x_total", nil, 7},
	} {
		got, ok := value(after, tc.name, tc.labels...)
		assert.True(t, ok, "%s%v", tc.name, tc.labels)
		assert.Equal(t, tc.want, got, "%s%v", tc.name, tc.labels)
	}
	assert.Equal(t, dto.MetricType_COUNTER, after["x_total"].GetType())
	assert.Equal(t, dto.MetricType_GAUGE, after["x_gauge"].GetType())
	assert.Equal(t, "a gauge\nover two lines", after["x_gauge"].GetHelp())
	assert.Equal(t, uint64(1), bucket(t, after, "disputes_http_request_duration_seconds", 0.0025, route...))
	assert.Equal(t, uint64(2), bucket(t, after, "disputes_http_request_duration_seconds", 0.005, route...))
	assert.Equal(t, uint64(2), bucket(t, after, "disputes_http_request_duration_seconds", 10, route...), "30 s is beyond the last bucket")
	assert.Equal(t, uint64(0), bucket(t, after, "disputes_append_duration_seconds", 0.0005))
	assert.Equal(t, uint64(1), bucket(t, after, "disputes_append_duration_seconds", 0.001))
	assert.Equal(t, uint64(2), m.CommandCount("agree", "recorded"))

	// A collector that fails is left out and logged; the rest is served.
	m.Register(Collector{Name: "broken", Type: "gauge", Collect: func(context.Context) ([]Sample, error) {
		return nil, errors.New("read model gone")
	}})
	partial := scrape(t, m, log)
	assert.NotContains(t, partial, "broken")
	assert.Contains(t, partial, "disputes_commands_total")
	assert.Contains(t, partial, "go_goroutines")
	assert.Contains(t, logs.String(), "read model gone")
}

// TestMetricsLint: the series follow Prometheus' naming conventions.
func TestMetricsLint(t *testing.T) {
	t.Parallel()
	m := NewMetrics()
	m.observeRequest("GET /v1/me", 200, time.Millisecond)
	m.observeCommand("agree", "recorded")
	m.ObserveAppend(time.Millisecond)
	problems, err := promlint.NewWithMetricFamilies(gather(t, m)).Lint()
	require.NoError(t, err)
	var ours []promlint.Problem
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "disputes_") {
			ours = append(ours, p)
		}
	}
	assert.Empty(t, ours)
}

func gather(t *testing.T, m *Metrics) []*dto.MetricFamily {
	t.Helper()
	families, err := m.Gatherer().Gather()
	require.NoError(t, err)
	return families
}

// TestRememberedSeriesCountEveryRequest: the remembered series count every request, however many find their
// series for the first time at once: the series a request's labels name
// is looked up once and remembered (byRequest, byCommand).
func TestRememberedSeriesCountEveryRequest(t *testing.T) {
	t.Parallel()
	m := NewMetrics()
	const goroutines, each = 8, 100
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for i := range each {
				m.observeRequest("POST /v1/tickets/{ticket_id}/commands/agree", 201+i%2, time.Millisecond)
				m.observeCommand("agree", "recorded")
			}
		})
	}
	wg.Wait()
	families := scrape(t, m, slog.New(slog.DiscardHandler))
	route := "POST /v1/tickets/{ticket_id}/commands/agree"
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"disputes_http_requests_total", []string{"route", route, "code", "201"}, goroutines * each / 2},
		{"disputes_http_requests_total", []string{"route", route, "code", "202"}, goroutines * each / 2},
		{"disputes_http_request_duration_seconds", []string{"route", route}, goroutines * each},
		{"disputes_commands_total", []string{"command", "agree", "outcome", "recorded"}, goroutines * each},
	} {
		got, ok := value(families, tc.name, tc.labels...)
		assert.True(t, ok, "%s%v", tc.name, tc.labels)
		assert.Equal(t, tc.want, got, "%s%v", tc.name, tc.labels)
	}
	other := NewMetrics()
	_, ok := value(scrape(t, other, slog.New(slog.DiscardHandler)), "disputes_commands_total", "command", "agree")
	assert.False(t, ok, "another registry remembers nothing of this one's series")
}
