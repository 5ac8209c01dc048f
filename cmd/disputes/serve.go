package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/internal/clock"
	"github.com/disputes-ledger/disputes/projections"
)

// serveFlags are `disputes serve`'s own flags.
type serveFlags struct {
	Addr                   string        `name:"addr" default:"127.0.0.1:8080" env:"DISPUTES_ADDR" placeholder:"HOST:PORT" help:"listen address"`
	Tokens                 string        `name:"tokens" env:"DISPUTES_TOKENS" placeholder:"FILE" help:"token file (see 'disputes tokens add')"`
	JWTJWKS                string        `name:"jwt-jwks" placeholder:"FILE" help:"JWK Set file of the keys for signed tokens (HS256, RS256, ES256, EdDSA; kid selects the key); reloaded on change"`
	JWTHMACSecret          string        `name:"jwt-hmac-secret" placeholder:"FILE" help:"file holding the HS256 secret for signed tokens without kid (one final newline is dropped, nothing else)"`
	JWTEd25519Key          string        `name:"jwt-ed25519-key" placeholder:"FILE" help:"PEM file of the Ed25519 public key for EdDSA signed tokens without kid"`
	JWTIssuer              string        `name:"jwt-issuer" help:"required iss claim of signed tokens"`
	JWTAudience            string        `name:"jwt-audience" help:"required aud claim of signed tokens"`
	JWTMaxLifetime         time.Duration `name:"jwt-max-lifetime" default:"${jwt_max_lifetime}" help:"longest a signed token may be valid: exp - iat and exp - now beyond it are refused"`
	JWTLeeway              time.Duration `name:"jwt-leeway" default:"${jwt_leeway}" help:"clock skew tolerated on exp, nbf and iat (at most 5m)"`
	ReloadEvery            time.Duration `name:"reload-every" default:"${reload_every}" help:"how often the token and key files are checked for changes (SIGHUP reloads at once)"`
	NoScheduler            bool          `name:"no-scheduler" help:"do not fire deadlines (run 'disputes scheduler' elsewhere)"`
	NoProjections          bool          `name:"no-projections" help:"do not keep the read models (lists, audit trails and scores answer 503)"`
	MetricsAddr            string        `name:"metrics-addr" env:"DISPUTES_METRICS_ADDR" placeholder:"HOST:PORT" help:"operators' listener serving GET /metrics and GET /readyz with every component's details, without a token (keep it off the public network). On --addr only auditors read /metrics, and /readyz gives each component's state only"`
	MaxStreams             int           `name:"max-streams" default:"256" help:"most event streams (SSE) open at once; beyond it 503"`
	MaxStreamsPerPrincipal int           `name:"max-streams-per-principal" default:"8" help:"most event streams one principal may hold open; beyond it 429"`
	ShutdownTimeout        time.Duration `name:"shutdown-timeout" default:"15s" env:"DISPUTES_SHUTDOWN_TIMEOUT" help:"on SIGTERM or SIGINT: how long requests in flight may take to finish (event streams end at once) and the read models to reach the head of the log; after it the requests' connections are cut (or the read models left behind) and serve exits 1"`
	Clock                  clockFlags    `embed:""`
	Log                    logFlags      `embed:""`
	Replicas               replicaFlags  `embed:""`
	Forward                forwardFlags  `embed:""`
}

// serveCmd is `disputes serve`.
type serveCmd struct {
	storeFlags
	serveFlags
	keyFlags
	checkpointFlags
	readModelFlags
	SealEvery    uint64        `name:"seal-every" default:"1000" help:"with a signing key: seal the log once this many events are unsealed"`
	SealInterval time.Duration `name:"seal-interval" default:"1m" help:"with a signing key: seal unsealed events at least this often"`
}

func (c *serveCmd) Run(ctx context.Context, e env) error {
	sf, f, kf, cf, rf := c.storeFlags, c.serveFlags, c.keyFlags, c.checkpointFlags, c.readModelFlags
	logger, err := f.Log.logger(e.stderr)
	if err != nil {
		return err
	}
	if err := f.validate(); err != nil {
		return err
	}
	authn, reloaders, err := f.authenticator(logger)
	if err != nil {
		return err
	}
	pol, err := sf.loadPolicy()
	if err != nil {
		return err
	}
	store, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()

	bg, err := openBackground(ctx, sf, f.Replicas, logger)
	if err != nil {
		return err
	}
	clock, err := bg.sharedClock(ctx, f.Clock)
	if err != nil {
		bg.close()
		return err
	}
	// The background parts outlive the signal that ends ctx: at shutdown
	// the requests in flight finish first, then the scheduler stops and the
	// read models are drained to the head of the log, and only then are the
	// others stopped.
	bgctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var (
		wg      sync.WaitGroup
		closers []func()
		drains  []readModelDrain
		stops   []func()
	)
	// On the way out: stop the background parts, wait for them, then close
	// what they used (the store itself closes last).
	defer func() {
		cancel()
		wg.Wait()
		bg.close()
		for _, c := range closers {
			c()
		}
	}()
	startReloaders(bgctx, &wg, reloaders, f.ReloadEvery)
	metrics := httpapi.NewMetrics()
	bg.registerMetrics(metrics)
	h := commands.NewHandler(httpapi.InstrumentStore(store, metrics), commands.WithClock(clock.Now), commands.WithPolicy(pol))

	if f.MaxStreams < 1 || f.MaxStreamsPerPrincipal < 1 || f.MaxStreamsPerPrincipal > f.MaxStreams {
		return fmt.Errorf("%w: --max-streams and --max-streams-per-principal must be positive, the second at most the first", errUsage)
	}
	if f.ShutdownTimeout <= 0 {
		return fmt.Errorf("%w: --shutdown-timeout must be positive", errUsage)
	}
	cfg := httpapi.Config{Store: store, Handler: h, Auth: authn, Metrics: metrics, Logger: logger, Now: clock.Now, Components: bg.components,
		Followers:  bg.followerStatuses,
		MaxStreams: f.MaxStreams, MaxStreamsPerPrincipal: f.MaxStreamsPerPrincipal}
	if err := bg.runStoreProbe(bgctx, sf, store); err != nil {
		return err
	}
	var deadlines *projections.DB // the open deadlines the scheduler reads
	if !f.NoProjections {
		reads, drain, closeReads, err := startProjections(bgctx, bg, store, sf, rf, pol, clock)
		if err != nil {
			return err
		}
		closers, drains = append(closers, closeReads), append(drains, drain)
		cfg.Reads, deadlines = reads, reads.DB
	}
	if !f.NoScheduler {
		if deadlines == nil { // no read models kept here: keep the scheduler's own
			db, err := rf.openLater(sf)
			if err != nil {
				return err
			}
			closers = append(closers, func() { _ = db.Close() })
			drains = append(drains, startDeadlineProjection(bgctx, bg, store, db, clock))
			deadlines = db
		}
		stops = append(stops, startScheduler(bgctx, bg, deadlines, h, clock, metrics, logger))
	}
	if kf.configured() {
		cp, closeSealer, err := startSealer(bgctx, bg, store, sf, kf, cf, audit.Cadence{Events: c.SealEvery, Interval: c.SealInterval}, clock, logger)
		if err != nil {
			return err
		}
		closers = append(closers, closeSealer)
		cfg.Checkpoint = cp
	}
	if f.Forward.ForwardNATS != "" {
		startForwarder(bgctx, bg, store, sf, f.Forward, logger)
	}
	api, err := httpapi.New(cfg)
	if err != nil {
		return err
	}
	site, closeConsole, err := mountConsole(bgctx, api, cfg, sf, kf, pol, logger)
	if err != nil {
		return err
	}
	closers = append(closers, closeConsole)
	if f.MetricsAddr != "" {
		// Bound before the API serves: a metrics listener that cannot bind is
		// a configuration error, not a reason to run unmonitored.
		ln, err := net.Listen("tcp", f.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen for metrics: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			serveMetrics(bgctx, ln, api.OperatorHandler(), logger)
		}()
	}
	// What runs between the HTTP server's drain and the end: nothing of this
	// process appends once the scheduler has stopped, so the read models can
	// be brought to the head of the log.
	drainBackground := func(ctx context.Context) error {
		for _, stop := range stops {
			stop()
		}
		for _, d := range drains {
			if err := d.wait(ctx); err != nil {
				return err
			}
		}
		return nil
	}
	return listenAndServe(ctx, f.Addr, site, logger, sf.describe(), clock, f.ShutdownTimeout, drainBackground)
}

// listenAndServe serves until ctx ends, then shuts down gracefully: it
// stops accepting, ends event streams and waits for the requests in
// flight; commands among them run to their end (they are not cancelled by
// the shutdown), so each is recorded and answered. Then drain runs (serve
// stops the scheduler and brings the read models to the head of the log).
// Both share shutdownTimeout.
func listenAndServe(ctx context.Context, addr string, api http.Handler, logger *slog.Logger, store string, clock clock.Clock,
	shutdownTimeout time.Duration, drain func(context.Context) error) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := httpapi.NewHTTPServer(addr, api, httpapi.Timeouts{})
	logger.Info("serving", "addr", "http://"+ln.Addr().String(), "store", store, "clock", clock.Now().UTC().Format(time.RFC3339))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", shutdownTimeout.String())
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shut down: requests still in flight after --shutdown-timeout %s were cut off: %w", shutdownTimeout, err)
	}
	if err := drain(shutdown); err != nil {
		return fmt.Errorf("shut down: not done within --shutdown-timeout %s: %w", shutdownTimeout, err)
	}
	logger.Info("stopped")
	return nil
}

// serveMetrics serves the operators' metrics listener until ctx ends.
func serveMetrics(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) {
	srv := httpapi.NewHTTPServer(ln.Addr().String(), h, httpapi.Timeouts{})
	logger.Info("serving metrics", "addr", "http://"+ln.Addr().String())
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("metrics listener stopped", "err", err)
	}
}

// clockFlags choose the clock commands are decided at and deadlines fire by.
type clockFlags struct {
	ClockSpeed float64 `name:"clock-speed" default:"1" placeholder:"N" help:"run the ledger's clock N times faster than real time (demos: 3600 makes an hour pass each second)"`
	ClockStart string  `name:"clock-start" placeholder:"TIME" help:"with --clock-speed, the time the clock starts at (RFC 3339; default now)"`
}

// clock returns the real clock at speed 1, else a scaled one. A scaled
// clock runs ahead of the world, so a ledger it wrote is a demo ledger.
func (c clockFlags) clock() (clock.Clock, error) {
	if c.ClockSpeed == 1 && c.ClockStart == "" {
		return clock.RealClock{}, nil
	}
	origin := time.Now()
	if c.ClockStart != "" {
		t, err := time.Parse(time.RFC3339, c.ClockStart)
		if err != nil {
			return nil, fmt.Errorf("%w: --clock-start: %v", errUsage, err)
		}
		origin = t
	}
	clock, err := clock.NewScaledClock(origin, c.ClockSpeed)
	if err != nil {
		return nil, fmt.Errorf("%w: --clock-speed: %v", errUsage, err)
	}
	return clock, nil
}

// logFlags choose the structured log's format and level.
type logFlags struct {
	LogFormat string `name:"log-format" default:"json" help:"log format: json or text"`
	LogLevel  string `name:"log-level" default:"info" help:"log level: debug, info, warn or error"`
}

func (l logFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.LogLevel)); err != nil {
		return nil, fmt.Errorf("%w: --log-level: %v", errUsage, err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch l.LogFormat {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("%w: --log-format must be json or text", errUsage)
}
