package httpapi

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetricsExposition(t *testing.T) {
	m := NewMetrics()
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

	var b strings.Builder
	require.NoError(t, m.WriteTo(context.Background(), &b))
	out := b.String()
	for _, want := range []string{
		`disputes_http_requests_total{route="GET /v1/tickets/{ticket_id}",code="200"} 2`,
		`disputes_http_requests_total{route="GET /v1/tickets/{ticket_id}",code="404"} 1`,
		`disputes_http_request_duration_seconds_bucket{route="GET /v1/tickets/{ticket_id}",le="0.0025"} 1`,
		`disputes_http_request_duration_seconds_bucket{route="GET /v1/tickets/{ticket_id}",le="0.005"} 2`,
		`disputes_http_request_duration_seconds_bucket{route="GET /v1/tickets/{ticket_id}",le="10"} 2`,
		`disputes_http_request_duration_seconds_bucket{route="GET /v1/tickets/{ticket_id}",le="+Inf"} 3`,
		`disputes_http_request_duration_seconds_count{route="GET /v1/tickets/{ticket_id}"} 3`,
		`disputes_commands_total{command="agree",outcome="recorded"} 2`,
		`disputes_append_duration_seconds_bucket{le="0.0005"} 0`,
		`disputes_append_duration_seconds_bucket{le="0.001"} 1`,
		`disputes_append_duration_seconds_sum 0.0007`,
		"# HELP x_gauge a gauge over two lines\n# TYPE x_gauge gauge\n",
		`x_gauge{name="a \"quoted\" \\ value\n"} 1.5`,
	} {
		assert.Contains(t, out, want)
	}
	assert.Equal(t, uint64(2), m.CommandCount("agree", "recorded"))

	m.Register(Collector{Name: "broken", Type: "gauge", Collect: func(context.Context) ([]Sample, error) {
		return nil, errors.New("read model gone")
	}})
	assert.Error(t, m.WriteTo(context.Background(), &strings.Builder{}))
}
