package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/disputes-ledger/disputes/events"
)

// Metrics is the server's Prometheus registry: the API's series, the Go
// runtime, the process and the build, and whatever other parts of the
// binary register (projection lag, scheduler counts, component states).
//
// Series of its own:
//
//	disputes_http_requests_total{route,code}          counter
//	disputes_http_request_duration_seconds{route}     histogram
//	disputes_http_requests_in_flight                  gauge (event streams included)
//	disputes_commands_total{command,outcome}          counter (outcome: recorded, duplicate, or an error kind)
//	disputes_append_duration_seconds                  histogram of event-store appends
//	disputes_build_info{version,revision,go_version}  gauge, always 1
//
// plus go_* (runtime, go_build_info) and process_* (CPU, memory, file
// descriptors, start time).
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	reqDur   *prometheus.HistogramVec
	inFlight prometheus.Gauge
	commands *prometheus.CounterVec
	appends  prometheus.Histogram

	// byRequest and byCommand hold the series a request counts into, by
	// their label values (requestKey → *requestSeries, commandKey →
	// prometheus.Counter): a request finds its own in one lock-free read,
	// where the vectors hash every label value and look the result up
	// under a lock, three times a command. The label values are bounded
	// sets (route patterns, status codes, command names, outcomes), and so
	// are these; nothing deletes a series from the vectors, which would
	// leave a remembered one counting where no scrape sees it.
	byRequest sync.Map
	byCommand sync.Map

	mu    sync.Mutex
	extra map[string]Collector // by series name, added by Register
}

// requestKey is a request's label values: its route and status.
type requestKey struct {
	route  string
	status int
}

// requestSeries is what a request of one route and status counts into.
type requestSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

// commandKey is a command's label values.
type commandKey struct{ command, outcome string }

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

// collectTimeout bounds a Register collector's work in one scrape.
const collectTimeout = 5 * time.Second

// NewMetrics returns a registry holding the API's series (all zero), the Go
// runtime, process and build-information collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "disputes_http_requests_total",
			Help: "HTTP requests by route pattern and status code."}, []string{"route", "code"}),
		reqDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "disputes_http_request_duration_seconds",
			Help: "HTTP request latency by route pattern.", Buckets: latencyBuckets}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "disputes_http_requests_in_flight",
			Help: "HTTP requests whose handler is running (open event streams included): what a graceful shutdown waits for."}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "disputes_commands_total",
			Help: "Commands by type and outcome (recorded, duplicate, or the error kind)."}, []string{"command", "outcome"}),
		appends: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "disputes_append_duration_seconds",
			Help: "Event-store append latency, durable commit included.", Buckets: latencyBuckets}),
		extra: map[string]Collector{},
	}
	version, revision, goVersion := buildInfo()
	build := prometheus.NewGauge(prometheus.GaugeOpts{Name: "disputes_build_info",
		Help:        "The running build: module version, VCS revision and Go version (always 1).",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "go_version": goVersion}})
	build.Set(1)
	m.reg.MustRegister(m.requests, m.reqDur, m.inFlight, m.commands, m.appends, build, registered{m},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector())
	return m
}

// buildInfo reads the module version and VCS revision the go command
// recorded in the binary.
func buildInfo() (version, revision, goVersion string) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown", "unknown", "unknown"
	}
	version, revision = info.Main.Version, "unknown"
	if version == "" {
		version = "(devel)"
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			revision = s.Value
		}
	}
	return version, revision, info.GoVersion
}

// Registerer is where other parts of the binary register their own
// Prometheus collectors, served with the API's at /metrics.
func (m *Metrics) Registerer() prometheus.Registerer { return m.reg }

// Gatherer gathers every registered series, as /metrics serves them.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Register adds series computed at scrape time by c.Collect; a later
// collector of the same name replaces the earlier one.
func (m *Metrics) Register(c Collector) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.extra[c.Name] = c
}

// registered collects the series added by Register. It describes nothing
// up front (an unchecked collector): their label names are the samples'.
type registered struct{ m *Metrics }

func (registered) Describe(chan<- *prometheus.Desc) {}

func (r registered) Collect(ch chan<- prometheus.Metric) {
	r.m.mu.Lock()
	cs := make([]Collector, 0, len(r.m.extra))
	for _, c := range r.m.extra {
		cs = append(cs, c)
	}
	r.m.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), collectTimeout)
	defer cancel()
	for _, c := range cs {
		collectSamples(ctx, c, ch)
	}
}

func collectSamples(ctx context.Context, c Collector, ch chan<- prometheus.Metric) {
	typ := prometheus.GaugeValue
	if c.Type == "counter" {
		typ = prometheus.CounterValue
	}
	samples, err := c.Collect(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(prometheus.NewDesc(c.Name, c.Help, nil, nil), fmt.Errorf("collect %s: %w", c.Name, err))
		return
	}
	for _, s := range samples {
		var names, values []string
		for i := 0; i+1 < len(s.Labels); i += 2 {
			names, values = append(names, s.Labels[i]), append(values, s.Labels[i+1])
		}
		desc := prometheus.NewDesc(c.Name, c.Help, names, nil)
		metric, err := prometheus.NewConstMetric(desc, typ, s.Value, values...)
		if err != nil {
			metric = prometheus.NewInvalidMetric(desc, err)
		}
		ch <- metric
	}
}

// statusLabels are the status codes as label values, made once: Itoa
// allocates for every number past 99.
var statusLabels = func() (l [600]string) {
	for i := range l {
		l[i] = strconv.Itoa(i)
	}
	return l
}()

func (m *Metrics) observeRequest(route string, status int, d time.Duration) {
	series := m.requestSeries(route, status)
	series.count.Inc()
	series.duration.Observe(d.Seconds())
}

// requestSeries returns the series of a request of route that ended with
// status, looked up in the vectors the first time only.
func (m *Metrics) requestSeries(route string, status int) *requestSeries {
	key := requestKey{route: route, status: status}
	if s, ok := m.byRequest.Load(key); ok {
		return s.(*requestSeries)
	}
	var code string
	if status >= 0 && status < len(statusLabels) {
		code = statusLabels[status]
	} else {
		code = strconv.Itoa(status)
	}
	s, _ := m.byRequest.LoadOrStore(key, &requestSeries{count: m.requests.WithLabelValues(route, code),
		duration: m.reqDur.WithLabelValues(route)})
	return s.(*requestSeries)
}

func (m *Metrics) observeCommand(command, outcome string) {
	key := commandKey{command: command, outcome: outcome}
	c, ok := m.byCommand.Load(key)
	if !ok {
		c, _ = m.byCommand.LoadOrStore(key, m.commands.WithLabelValues(command, outcome))
	}
	c.(prometheus.Counter).Inc()
}

// ObserveAppend records the latency of one event-store append.
func (m *Metrics) ObserveAppend(d time.Duration) {
	m.appends.Observe(d.Seconds())
}

// CommandCount returns how many commands of a type ended with an outcome.
func (m *Metrics) CommandCount(command, outcome string) uint64 {
	var out dto.Metric
	if err := m.commands.WithLabelValues(command, outcome).Write(&out); err != nil {
		return 0
	}
	return uint64(out.GetCounter().GetValue())
}

// MetricsRole is the one role that reads /metrics on the API's listener.
// Metrics are platform-wide counts (commands by outcome, open streams,
// deadlines watched): operators scrape them from the separate listener of
// OperatorHandler, auditors may read them with their token, and no party's
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

// OperatorHandler serves the operators' listener (disputes serve
// --metrics-addr), reached from the monitoring network only, with no
// token: GET /metrics, and GET /readyz with every component's whole status
// (ReadinessDetail: last errors, restarts, lease owners and tokens, log
// followers' positions and lag), which the public /readyz leaves out. It
// never serves ticket data: every other path is 404. It also serves the
// Go runtime's profiles under /debug/pprof/ (heap, goroutines, CPU), which
// is how an operator finds what a long-running replica holds in memory
// (make soak saves a heap profile from here); they show code paths and
// sizes, never a request's content.
func (s *Server) OperatorHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", s.writeMetrics)
	mux.HandleFunc("GET /readyz", s.readyzDetail)
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, notFound("no_route", "this listener serves GET /metrics, GET /readyz and GET /debug/pprof/ only"))
	}))
	return mux
}

func (s *Server) writeMetrics(w http.ResponseWriter, r *http.Request) {
	s.metricsHandler.ServeHTTP(w, r)
}

// newMetricsHandler serves m in the format the scraper asks for (the text
// format by default). A series that fails to collect is left out and
// logged; the others are served.
func newMetricsHandler(m *Metrics, logger promhttp.Logger) http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:          logger,
		ErrorHandling:     promhttp.ContinueOnError,
		Timeout:           collectTimeout + time.Second,
		EnableOpenMetrics: true,
	})
}

// errorLog logs the metrics handler's errors (a series that failed to
// collect) through the server's logger.
type errorLog struct{ log *slog.Logger }

func (l errorLog) Println(v ...any) { l.log.Error("metrics", "err", fmt.Sprint(v...)) }
