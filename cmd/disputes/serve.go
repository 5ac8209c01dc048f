package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/cmd/internal/storeurl"
	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/internal/clock"
)

// serveFlags are `disputes serve`'s own flags.
type serveFlags struct {
	addr         string
	tokens       string
	hmacFile     string
	ed25519File  string
	jwksFile     string
	issuer       string
	audience     string
	maxLifetime  time.Duration
	leeway       time.Duration
	reloadEvery  time.Duration
	noScheduler  bool
	noProjection bool
	metricsAddr  string
	maxStreams   int
	ownStreams   int
	clock        clockFlags
	log          logFlags
	replicas     replicaFlags
	forward      forwardFlags
}

func runServe(ctx context.Context, e env) error {
	fs := newFlags(e, "serve", "serve [--db PATH] [--addr HOST:PORT] --tokens FILE [--jwt-jwks FILE] [--jwt-hmac-secret FILE] [--jwt-ed25519-key FILE] [--clock-speed N]")
	var sf storeFlags
	sf.register(fs)
	var f serveFlags
	fs.StringVar(&f.addr, "addr", envOr("DISPUTES_ADDR", "127.0.0.1:8080"), "listen address; env DISPUTES_ADDR")
	fs.StringVar(&f.tokens, "tokens", os.Getenv("DISPUTES_TOKENS"), "token file (see 'disputes tokens add'); env DISPUTES_TOKENS")
	fs.StringVar(&f.jwksFile, "jwt-jwks", "", "JWK Set file of the keys for signed tokens (HS256, RS256, ES256, EdDSA; kid selects the key); reloaded on change")
	fs.StringVar(&f.hmacFile, "jwt-hmac-secret", "", "file holding the HS256 secret for signed tokens without kid (one final newline is dropped, nothing else)")
	fs.StringVar(&f.ed25519File, "jwt-ed25519-key", "", "PEM file of the Ed25519 public key for EdDSA signed tokens without kid")
	fs.StringVar(&f.issuer, "jwt-issuer", "", "required iss claim of signed tokens")
	fs.StringVar(&f.audience, "jwt-audience", "", "required aud claim of signed tokens")
	fs.DurationVar(&f.maxLifetime, "jwt-max-lifetime", auth.DefaultMaxLifetime, "longest a signed token may be valid: exp - iat and exp - now beyond it are refused")
	fs.DurationVar(&f.leeway, "jwt-leeway", auth.DefaultLeeway, "clock skew tolerated on exp, nbf and iat (at most 5m)")
	fs.DurationVar(&f.reloadEvery, "reload-every", auth.DefaultReloadInterval, "how often the token and key files are checked for changes (SIGHUP reloads at once)")
	fs.BoolVar(&f.noScheduler, "no-scheduler", false, "do not fire deadlines (run 'disputes scheduler' elsewhere)")
	fs.BoolVar(&f.noProjection, "no-projections", false, "do not keep the read models (lists, audit trails and scores answer 503)")
	fs.StringVar(&f.metricsAddr, "metrics-addr", os.Getenv("DISPUTES_METRICS_ADDR"), "operators' listener serving GET /metrics only, without a token (keep it off the public network); env DISPUTES_METRICS_ADDR. On --addr only auditors read /metrics")
	fs.IntVar(&f.maxStreams, "max-streams", 256, "most event streams (SSE) open at once; beyond it 503")
	fs.IntVar(&f.ownStreams, "max-streams-per-principal", 8, "most event streams one principal may hold open; beyond it 429")
	f.clock.register(fs)
	f.log.register(fs)
	f.replicas.register(fs)
	f.forward.register(fs)
	var kf keyFlags
	kf.register(fs)
	var cf checkpointFlags
	cf.register(fs)
	var rf readModelFlags
	rf.register(fs)
	sealEvery := fs.Uint64("seal-every", 1000, "with a signing key: seal the log once this many events are unsealed")
	sealInterval := fs.Duration("seal-interval", time.Minute, "with a signing key: seal unsealed events at least this often")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	logger, err := f.log.logger(e.stderr)
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

	bg, err := openBackground(ctx, sf, f.replicas, logger)
	if err != nil {
		return err
	}
	clock, err := bg.sharedClock(ctx, f.clock)
	if err != nil {
		bg.close()
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	var (
		wg      sync.WaitGroup
		closers []func()
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
	startReloaders(ctx, &wg, reloaders, f.reloadEvery)
	metrics := httpapi.NewMetrics()
	bg.registerMetrics(metrics)
	h := commands.NewHandler(httpapi.InstrumentStore(store, metrics), commands.WithClock(clock.Now), commands.WithPolicy(pol))

	if f.maxStreams < 1 || f.ownStreams < 1 || f.ownStreams > f.maxStreams {
		return fmt.Errorf("%w: --max-streams and --max-streams-per-principal must be positive, the second at most the first", errUsage)
	}
	cfg := httpapi.Config{Store: store, Handler: h, Auth: authn, Metrics: metrics, Logger: logger, Now: clock.Now, Components: bg.components,
		MaxStreams: f.maxStreams, MaxStreamsPerPrincipal: f.ownStreams}
	if err := bg.runStoreProbe(ctx, sf, store); err != nil {
		return err
	}
	if !f.noProjection {
		reads, closeReads, err := startProjections(ctx, bg, store, sf, rf, pol, clock)
		if err != nil {
			return err
		}
		closers = append(closers, closeReads)
		cfg.Reads = reads
	}
	if !f.noScheduler {
		startScheduler(ctx, bg, store, h, clock, metrics, logger)
	}
	if kf.configured() {
		cp, closeSealer, err := startSealer(ctx, bg, store, sf, kf, cf, audit.Cadence{Events: *sealEvery, Interval: *sealInterval}, clock, logger)
		if err != nil {
			return err
		}
		closers = append(closers, closeSealer)
		cfg.Checkpoint = cp
	}
	if f.forward.natsURL != "" {
		closeNATS, err := startForwarder(ctx, bg, store, sf, f.forward, logger)
		if err != nil {
			return err
		}
		closers = append(closers, closeNATS)
	}
	api, err := httpapi.New(cfg)
	if err != nil {
		return err
	}
	if f.metricsAddr != "" {
		// Bound before the API serves: a metrics listener that cannot bind is
		// a configuration error, not a reason to run unmonitored.
		ln, err := net.Listen("tcp", f.metricsAddr)
		if err != nil {
			return fmt.Errorf("listen for metrics: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			serveMetrics(ctx, ln, api.MetricsHandler(), logger)
		}()
	}
	return listenAndServe(ctx, f.addr, api, logger, readModelPath(sf), clock)
}

// listenAndServe serves until ctx ends, then shuts down gracefully.
func listenAndServe(ctx context.Context, addr string, api http.Handler, logger *slog.Logger, db string, clock clock.Clock) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := httpapi.NewHTTPServer(addr, api, httpapi.Timeouts{})
	logger.Info("serving", "addr", "http://"+ln.Addr().String(), "db", db, "clock", clock.Now().UTC().Format(time.RFC3339))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shut down: %w", err)
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

// readModelPath is the SQLite file the read models live in: the ledger's
// own file when the ledger is SQLite, else the --db file beside a server
// store.
func readModelPath(sf storeFlags) string {
	if sf.store != "" {
		if t, err := storeurl.Parse(sf.store); err == nil && t.Backend == storeurl.SQLite {
			return t.Path
		}
	}
	return sf.db
}

// clockFlags choose the clock commands are decided at and deadlines fire by.
type clockFlags struct {
	speed float64
	start string
}

func (c *clockFlags) register(fs *flag.FlagSet) {
	fs.Float64Var(&c.speed, "clock-speed", 1, "run the ledger's clock N times faster than real time (demos: 3600 makes an hour pass each second)")
	fs.StringVar(&c.start, "clock-start", "", "with --clock-speed, the time the clock starts at (RFC 3339; default now)")
}

// clock returns the real clock at speed 1, else a scaled one. A scaled
// clock runs ahead of the world, so a ledger it wrote is a demo ledger.
func (c clockFlags) clock() (clock.Clock, error) {
	if c.speed == 1 && c.start == "" {
		return clock.RealClock{}, nil
	}
	origin := time.Now()
	if c.start != "" {
		t, err := time.Parse(time.RFC3339, c.start)
		if err != nil {
			return nil, fmt.Errorf("%w: --clock-start: %v", errUsage, err)
		}
		origin = t
	}
	clock, err := clock.NewScaledClock(origin, c.speed)
	if err != nil {
		return nil, fmt.Errorf("%w: --clock-speed: %v", errUsage, err)
	}
	return clock, nil
}

// logFlags choose the structured log's format and level.
type logFlags struct {
	format string
	level  string
}

func (l *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.format, "log-format", "json", "log format: json or text")
	fs.StringVar(&l.level, "log-level", "info", "log level: debug, info, warn or error")
}

func (l logFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.level)); err != nil {
		return nil, fmt.Errorf("%w: --log-level: %v", errUsage, err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch l.format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("%w: --log-format must be json or text", errUsage)
}
