package httpapi

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/disputes-ledger/disputes/events"
)

// Metrics holds the API's counters and histograms and writes them in the
// Prometheus text exposition format (version 0.0.4). A dozen series do not
// justify client_golang's six modules; the format is a page long.
//
// Series:
//
//	disputes_http_requests_total{route,code}          counter
//	disputes_http_request_duration_seconds{route}     histogram
//	disputes_commands_total{command,outcome}          counter (outcome: recorded, duplicate, or an error kind)
//	disputes_append_duration_seconds                  histogram of event-store appends
//
// plus whatever Register adds (projection lag, scheduler counts).
type Metrics struct {
	mu       sync.Mutex
	requests map[[2]string]uint64
	reqDur   map[string]*histogram
	commands map[[2]string]uint64
	appends  *histogram
	extra    []Collector
}

// Sample is one value of a collected series.
type Sample struct {
	Labels []string // name, value, name, value...
	Value  float64
}

// Collector adds series computed at scrape time.
type Collector struct {
	Name, Help string
	Type       string // "gauge" or "counter"
	Collect    func(ctx context.Context) ([]Sample, error)
}

// latencyBuckets suit a command path whose floor is one fsync: 0.5 ms to 10 s.
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type histogram struct {
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	count  uint64
}

func newHistogram() *histogram { return &histogram{counts: make([]uint64, len(latencyBuckets)+1)} }

func (h *histogram) observe(v float64) {
	i, _ := slices.BinarySearch(latencyBuckets, v)
	h.counts[i]++
	h.sum += v
	h.count++
}

// NewMetrics returns an empty set of metrics.
func NewMetrics() *Metrics {
	return &Metrics{requests: map[[2]string]uint64{}, reqDur: map[string]*histogram{},
		commands: map[[2]string]uint64{}, appends: newHistogram()}
}

// Register adds a collector. Call it before serving.
func (m *Metrics) Register(c Collector) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.extra = append(m.extra, c)
}

func (m *Metrics) observeRequest(route string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[2]string{route, strconv.Itoa(status)}]++
	h := m.reqDur[route]
	if h == nil {
		h = newHistogram()
		m.reqDur[route] = h
	}
	h.observe(d.Seconds())
}

func (m *Metrics) observeCommand(command, outcome string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.commands[[2]string{command, outcome}]++
}

// ObserveAppend records the latency of one event-store append.
func (m *Metrics) ObserveAppend(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.appends.observe(d.Seconds())
}

// CommandCount returns how many commands of a type ended with an outcome.
func (m *Metrics) CommandCount(command, outcome string) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.commands[[2]string{command, outcome}]
}

// WriteTo writes every series in the text exposition format.
func (m *Metrics) WriteTo(ctx context.Context, w io.Writer) error {
	var b strings.Builder
	m.mu.Lock()
	header(&b, "disputes_http_requests_total", "HTTP requests by route pattern and status code.", "counter")
	for _, k := range sortedKeys(m.requests) {
		sample(&b, "disputes_http_requests_total", []string{"route", k[0], "code", k[1]}, float64(m.requests[k]))
	}
	header(&b, "disputes_http_request_duration_seconds", "HTTP request latency by route pattern.", "histogram")
	routes := make([]string, 0, len(m.reqDur))
	for r := range m.reqDur {
		routes = append(routes, r)
	}
	slices.Sort(routes)
	for _, r := range routes {
		writeHistogram(&b, "disputes_http_request_duration_seconds", []string{"route", r}, m.reqDur[r])
	}
	header(&b, "disputes_commands_total", "Commands by type and outcome (recorded, duplicate, or the error kind).", "counter")
	for _, k := range sortedKeys(m.commands) {
		sample(&b, "disputes_commands_total", []string{"command", k[0], "outcome", k[1]}, float64(m.commands[k]))
	}
	header(&b, "disputes_append_duration_seconds", "Event-store append latency, durable commit included.", "histogram")
	writeHistogram(&b, "disputes_append_duration_seconds", nil, m.appends)
	extra := slices.Clone(m.extra)
	m.mu.Unlock()

	for _, c := range extra {
		samples, err := c.Collect(ctx)
		if err != nil {
			return fmt.Errorf("collect %s: %w", c.Name, err)
		}
		header(&b, c.Name, c.Help, c.Type)
		for _, s := range samples {
			sample(&b, c.Name, s.Labels, s.Value)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func sortedKeys(m map[[2]string]uint64) [][2]string {
	keys := make([][2]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	return keys
}

func header(b *strings.Builder, name, help, typ string) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, strings.ReplaceAll(help, "\n", " "), name, typ)
}

func sample(b *strings.Builder, name string, labels []string, v float64) {
	b.WriteString(name)
	if len(labels) > 0 {
		b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(b, "%s=\"%s\"", labels[i], escapeLabel(labels[i+1]))
		}
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(formatValue(v))
	b.WriteByte('\n')
}

func writeHistogram(b *strings.Builder, name string, labels []string, h *histogram) {
	var cum uint64
	for i, le := range latencyBuckets {
		cum += h.counts[i]
		sample(b, name+"_bucket", append(slices.Clone(labels), "le", formatValue(le)), float64(cum))
	}
	sample(b, name+"_bucket", append(slices.Clone(labels), "le", "+Inf"), float64(h.count))
	sample(b, name+"_sum", labels, h.sum)
	sample(b, name+"_count", labels, float64(h.count))
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }

func formatValue(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// MetricsRole is the one role that reads /metrics on the API's listener.
// Metrics are platform-wide counts (commands by outcome, open streams,
// deadlines watched): operators scrape them from the separate listener of
// MetricsHandler, auditors may read them with their token, and no party's
// token ever does (issue 11, finding 6).
const MetricsRole = events.RoleAuditor

// serveMetrics is GET /metrics on the API's listener: auditors only.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if p := principalOf(r); p.Role != MetricsRole {
		writeProblem(w, r, forbidden("role_not_allowed",
			string(p.Role)+" may not read metrics: they are for operators (the metrics listener) and auditors"))
		return
	}
	s.writeMetrics(w, r)
}

// MetricsHandler serves the metrics and nothing else, with no token: for
// an operators' listener (disputes serve --metrics-addr) that is reached
// from the monitoring network only. It never serves ticket data: every
// other path is 404.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", s.writeMetrics)
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, notFound("no_route", "this listener serves GET /metrics only"))
	}))
	return mux
}

func (s *Server) writeMetrics(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	var b strings.Builder
	if err := s.metrics.WriteTo(ctx, &b); err != nil {
		writeProblem(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = io.WriteString(w, b.String())
}
