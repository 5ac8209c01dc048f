package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// httpCommands: every operation opens a ticket (one durable append to a new
// stream) through POST /v1/tickets/{id}/commands/open_ticket from clients
// concurrent clients with keep-alive connections over loopback, against a
// SQLite ledger with token authentication, the JSON access log (discarded)
// and the metrics on; client and server share the machine. The floor is the
// same command sent straight to commands.Handler on the same ledger. The
// server is httpapi.NewHTTPServer's, as `disputes serve` runs it, with no
// response checker (the package's BenchmarkHTTPCommands wraps its server
// in the OpenAPI contract check, which production does not run). The
// client is wireClient, a minimal HTTP/1.1 client that checks every
// answer's status and shape, so that the cores the two share go mostly
// to the server. Beside the rate it reports the median and 99th-percentile
// latencies, each beside the direct calls' own.
func httpCommands(clients int) func(ctx context.Context, r *runner) ([]Result, error) {
	return func(ctx context.Context, r *runner) ([]Result, error) {
		l, err := startAPI(ctx, r, clients)
		if err != nil {
			return nil, err
		}
		defer l.close()
		var viaHTTP, direct loadTurns
		m, err := r.alternate(ctx, r.opts.rounds(),
			direct.turn(r.opts.turn(), clients, l.direct),
			viaHTTP.turn(r.opts.turn(), clients, l.viaHTTP))
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("http_commands_%d", clients)
		out := []Result{rateResult(name, "commands/s", "the same commands sent straight to commands.Handler", m)}
		for _, p := range []struct {
			suffix string
			q      float64
		}{{"_p50", 0.50}, {"_p99", 0.99}} {
			v, f := viaHTTP.percentile(p.q), direct.percentile(p.q)
			out = append(out, Result{Name: name + p.suffix, Value: v, Unit: "ms", Floor: f, Ratio: RatioOf(v, f, "ms"),
				FloorIs: "the direct calls' latency at the same percentile", PeakMemBytes: m.peak, Rounds: len(m.figure)})
		}
		return out, nil
	}
}

// api is a running HTTP API over a fresh ledger, and a client for it.
type api struct {
	store   *sqlite.Store
	handler *commands.Handler
	srv     *http.Server
	client  *wireClient
	served  chan error
}

var benchBuyer = events.Actor{Role: events.RoleBuyer, ID: "b-1"}

// benchOpen is the ticket every operation opens, as a command and as the
// API's request body.
func benchOpen() (domain.OpenTicket, map[string]any) {
	return domain.OpenTicket{OrderID: "O-1", MerchantID: "m-1", Kind: events.KindRefundOnly, Reason: events.ReasonQuality,
			Currency: "CNY", AmountPaid: 5000, Requested: 5000, Description: "screen cracked", OrderShipped: true},
		map[string]any{"order_id": "O-1", "merchant_id": "m-1", "kind": "refund_only", "reason": "quality",
			"currency": "CNY", "amount_paid": 5000, "requested": 5000, "description": "screen cracked", "order_shipped": true}
}

func startAPI(ctx context.Context, r *runner, clients int) (*api, error) {
	return startAPIOver(ctx, r, clients, func(s eventstore.Store) eventstore.Store { return s })
}

// startAPIOver is startAPI with the command handler's store, which both
// sides' commands go through, wrapped by wrap (the API's queries stay on
// the ledger): BenchmarkHTTPPathCPU gives it a store that costs nothing.
func startAPIOver(ctx context.Context, r *runner, clients int, wrap func(eventstore.Store) eventstore.Store) (*api, error) {
	dir, err := r.tempDir()
	if err != nil {
		return nil, err
	}
	store, err := sqlite.Open(ctx, dir+"/ledger.db", sqlite.Config{})
	if err != nil {
		return nil, err
	}
	metrics := httpapi.NewMetrics()
	h := commands.NewHandler(httpapi.InstrumentStore(wrap(store), metrics), commands.WithPolicy(policy.Default()))
	const token = "bench-token-buyer"
	tf, err := json.Marshal(auth.TokenFile{Tokens: []auth.TokenEntry{{SHA256: auth.HashToken(token), Role: benchBuyer.Role, ID: benchBuyer.ID}}})
	if err != nil {
		return nil, errors.Join(err, store.Close())
	}
	tokens, err := auth.ParseTokenFile(tf)
	if err != nil {
		return nil, errors.Join(err, store.Close())
	}
	srvAPI, err := httpapi.New(httpapi.Config{Store: store, Handler: h, Auth: auth.Chain{Tokens: tokens}, Metrics: metrics,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		return nil, errors.Join(err, store.Close())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, errors.Join(err, store.Close())
	}
	_, data := benchOpen()
	body, err := json.Marshal(map[string]any{"data": data})
	if err != nil {
		return nil, errors.Join(err, ln.Close(), store.Close())
	}
	// Served as `disputes serve` serves it: its timeouts, header bound and
	// shutdown context (the console's mux in front of it is left out).
	l := &api{store: store, handler: h, srv: httpapi.NewHTTPServer(ln.Addr().String(), srvAPI, httpapi.Timeouts{}),
		client: newWireClient(ln.Addr().String(), token, body, clients), served: make(chan error, 1)}
	go func() { l.served <- l.srv.Serve(ln) }()
	return l, nil
}

func (l *api) close() {
	l.client.close()
	_ = l.srv.Close()
	<-l.served
	_ = l.store.Close()
}

// viaHTTP opens ticket H-i through the API.
func (l *api) viaHTTP(ctx context.Context, i int64) error { return l.client.open(ctx, i) }

// direct opens ticket D-i through the handler.
func (l *api) direct(ctx context.Context, i int64) error {
	open, _ := benchOpen()
	req := commands.Request{CommandID: fmt.Sprintf("c-%d", i), TicketID: fmt.Sprintf("D-%d", i), Actor: benchBuyer, Command: open.CommandName()}
	_, err := l.handler.Handle(ctx, req, open)
	return err
}

// loadTurns accumulates the latencies of one side's turns.
type loadTurns struct {
	next atomic.Int64
	mu   sync.Mutex
	lat  []time.Duration
}

// turn returns a turn in which clients goroutines call op with fresh
// numbers for about d.
func (lt *loadTurns) turn(d time.Duration, clients int, op func(ctx context.Context, i int64) error) turnFunc {
	return func(ctx context.Context) (float64, time.Duration, error) {
		var (
			wg    sync.WaitGroup
			errs  = make([]error, clients)
			count atomic.Int64
		)
		start := time.Now()
		for c := range clients {
			wg.Go(func() {
				var mine []time.Duration
				// Every client makes at least one call, however late it
				// started on a busy machine.
				for first := true; first || time.Since(start) < d && ctx.Err() == nil; first = false {
					t := time.Now()
					if err := op(ctx, lt.next.Add(1)); err != nil {
						errs[c] = err
						break
					}
					mine = append(mine, time.Since(t))
				}
				count.Add(int64(len(mine)))
				lt.mu.Lock()
				lt.lat = append(lt.lat, mine...)
				lt.mu.Unlock()
			})
		}
		wg.Wait()
		took := time.Since(start)
		return float64(count.Load()), took, errors.Join(errs...)
	}
}

// percentile is the q-th latency of every turn so far, in milliseconds.
func (lt *loadTurns) percentile(q float64) float64 {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if len(lt.lat) == 0 {
		return 0
	}
	slices.Sort(lt.lat)
	return float64(lt.lat[int(q*float64(len(lt.lat)-1))]) / float64(time.Millisecond)
}
