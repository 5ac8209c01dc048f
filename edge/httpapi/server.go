package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/follow"
	"github.com/disputes-ledger/disputes/internal/supervise"
)

// Config sets a Server up. Store, Handler and Auth are required.
type Config struct {
	// Store serves ticket state, history and the live event stream.
	Store eventstore.Store
	// Handler runs commands. Build it on InstrumentStore(Store, Metrics)
	// to have append latency in the metrics.
	Handler *commands.Handler
	// Auth maps bearer tokens to principals.
	Auth auth.Authenticator
	// Reads serves ticket lists, audit trails and scores. Without it those
	// routes answer 503.
	Reads ReadModel
	// Metrics collects the API's metrics. Default: a new set.
	Metrics *Metrics
	// Logger receives one line per request. Default: slog.Default().
	Logger *slog.Logger
	// Now is the time scores and projection lag are measured at; give it
	// the handler's clock. Default time.Now.
	Now func() time.Time
	// Checkpoint returns the latest signed checkpoint for GET
	// /v1/checkpoint, and false when there is none; nil means none.
	Checkpoint func() ([]byte, bool)
	// Ready is consulted by /readyz beside the store; nil means ready.
	Ready func(ctx context.Context) error
	// Components, if set, lists the background components /readyz shows:
	// the server is ready only when every required one is ok or standing
	// by (package internal/supervise). The public /readyz shows each one's
	// name and state; the operators' listener (OperatorHandler) all of it.
	Components func() []supervise.Named
	// Followers, if set, returns the status of the log follower each
	// running component reads with, by component name, for the operators'
	// /readyz.
	Followers func() map[string]follow.Status
	// CommandTimeout and QueryTimeout bound the work of one request.
	// Defaults 10s and 30s.
	CommandTimeout, QueryTimeout time.Duration
	// MaxBodyBytes bounds a request body. Default: the handler's
	// Limits().MaxRequestBytes.
	MaxBodyBytes int64
	// StreamHeartbeat is how often an idle event stream sends a comment to
	// keep proxies from closing it. Default 15s.
	StreamHeartbeat time.Duration
	// StreamWriteTimeout is how long one write to an event stream may take
	// before the client is dropped as too slow. Default 10s.
	StreamWriteTimeout time.Duration
	// MaxStreams bounds concurrent event streams. Default 256.
	MaxStreams int
	// MaxStreamsPerPrincipal bounds the concurrent event streams of one
	// principal, whatever tokens it uses, so that one cannot take every
	// slot; beyond it a stream is answered 429. Default 8.
	MaxStreamsPerPrincipal int
}

func (c *Config) setDefaults() {
	if c.Metrics == nil {
		c.Metrics = NewMetrics()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.CommandTimeout <= 0 {
		c.CommandTimeout = 10 * time.Second
	}
	if c.QueryTimeout <= 0 {
		c.QueryTimeout = 30 * time.Second
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = int64(c.Handler.Limits().MaxRequestBytes)
	}
	if c.StreamHeartbeat <= 0 {
		c.StreamHeartbeat = 15 * time.Second
	}
	if c.StreamWriteTimeout <= 0 {
		c.StreamWriteTimeout = 10 * time.Second
	}
	if c.MaxStreams <= 0 {
		c.MaxStreams = 256
	}
	if c.MaxStreamsPerPrincipal <= 0 {
		c.MaxStreamsPerPrincipal = 8
	}
}

// Server is the ledger's HTTP API. It is an http.Handler.
type Server struct {
	cfg     Config
	store   eventstore.Store
	handler *commands.Handler
	auth    auth.Authenticator
	reads   ReadModel
	metrics *Metrics
	// metricsHandler writes the metrics, on either listener.
	metricsHandler http.Handler
	log            *slog.Logger
	mux            *http.ServeMux
	root           http.Handler
	routes         []route
	streams        *streamSlots
}

// New returns the API over cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Handler == nil || cfg.Auth == nil {
		return nil, errors.New("httpapi: Store, Handler and Auth are required")
	}
	cfg.setDefaults()
	s := &Server{cfg: cfg, store: cfg.Store, handler: cfg.Handler, auth: cfg.Auth, reads: cfg.Reads,
		metrics: cfg.Metrics, log: cfg.Logger, mux: http.NewServeMux(),
		streams: newStreamSlots(cfg.MaxStreams, cfg.MaxStreamsPerPrincipal)}
	s.metricsHandler = newMetricsHandler(s.metrics, errorLog{s.log})
	s.routes = s.routeTable()
	paths := map[string][]string{}
	for _, rt := range s.routes {
		var h http.Handler = rt.handler
		if !rt.public {
			h = s.authenticate(h)
		}
		s.mux.Handle(rt.method+" "+rt.path, h)
		paths[rt.path] = append(paths[rt.path], rt.method)
	}
	// Without these, ServeMux would answer 404 and 405 in plain text.
	for path, methods := range paths {
		s.mux.Handle(path, methodNotAllowed(methods))
	}
	s.mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, notFound("no_route", "no such route; see /openapi.json"))
	}))
	s.metrics.Register(Collector{Name: "disputes_event_streams", Help: "Open event streams (SSE clients).", Type: "gauge",
		Collect: func(context.Context) ([]Sample, error) { return []Sample{{Value: float64(s.streams.open())}}, nil }})
	if s.reads != nil {
		s.registerLag()
	}
	s.root = s.observe(s.mux)
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.root.ServeHTTP(w, r) }

// Metrics returns the server's metrics, for collectors to be added.
func (s *Server) Metrics() *Metrics { return s.metrics }

func methodNotAllowed(methods []string) http.Handler {
	allow := ""
	for i, m := range methods {
		if i > 0 {
			allow += ", "
		}
		allow += m
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeProblem(w, r, &apiError{status: http.StatusMethodNotAllowed, code: "method_not_allowed", detail: r.Method + " is not allowed here; allowed: " + allow})
	})
}

// Timeouts bound how long a slow client can hold a connection.
type Timeouts struct {
	ReadHeader time.Duration // default 5s
	Read       time.Duration // whole request, body included; default 30s
	Write      time.Duration // response; event streams extend it per write; default 30s
	Idle       time.Duration // keep-alive; default 120s
}

// NewHTTPServer returns an http.Server for h on addr with the timeouts set
// (zero fields take their defaults) and the header size bounded. Shutting
// it down ends event streams, which otherwise would never go idle, and
// nothing else: a request in flight finishes (Shutdown waits for it,
// bounded by its own context) rather than being cancelled.
func NewHTTPServer(addr string, h http.Handler, t Timeouts) *http.Server {
	if t.ReadHeader <= 0 {
		t.ReadHeader = 5 * time.Second
	}
	if t.Read <= 0 {
		t.Read = 30 * time.Second
	}
	if t.Write <= 0 {
		t.Write = 30 * time.Second
	}
	if t.Idle <= 0 {
		t.Idle = 120 * time.Second
	}
	draining, drain := context.WithCancel(context.Background())
	base := context.WithValue(context.Background(), drainingKey{}, draining)
	srv := &http.Server{
		Addr: addr, Handler: h,
		ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, WriteTimeout: t.Write, IdleTimeout: t.Idle,
		MaxHeaderBytes: 64 << 10,
		BaseContext:    func(net.Listener) context.Context { return base },
	}
	srv.RegisterOnShutdown(drain)
	return srv
}

type drainingKey struct{}

// drainingOf returns the context that ends when the server of r's
// connection starts shutting down; a server not made by NewHTTPServer
// never drains.
func drainingOf(ctx context.Context) context.Context {
	if d, ok := ctx.Value(drainingKey{}).(context.Context); ok {
		return d
	}
	return context.Background()
}
