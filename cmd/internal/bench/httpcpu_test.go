//go:build unix

package bench

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/eventstore"
)

// processCPU is the CPU time the process has used, user and system.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHTTPCommandCPU measures what http_commands_64 compares as CPU
// per command instead of commands per second: the process's CPU time
// (server, client, group commit, GC) over each side's turns, divided by
// the commands they ran. The two sides alternate in 2-second turns, b.N
// rounds. On a machine whose other load starves both sides the rates
// swing more than the CPU each command costs, so this is the steadier
// measure of what HTTP adds; cpu_ratio is direct ÷ HTTP, the ratio the
// figure would show if both sides were CPU-bound. With -cpuprofile it is
// also the figure's profile (both sides; focus on httpapi to see the API).
//
//	go test -run '^$' -bench HTTPCommandCPU -benchtime 3x ./cmd/internal/bench/
func BenchmarkHTTPCommandCPU(b *testing.B) {
	commandCPU(b, func(s eventstore.Store) eventstore.Store { return s })
}

// BenchmarkHTTPPathCPU is BenchmarkHTTPCommandCPU over a store that costs
// nothing (every stream new, every append answered at once, nothing
// written): what the HTTP path — net/http, the client, the API's layers —
// costs a command beside the direct call when neither waits for the
// ledger, and without the fsyncs that make the figure swing on a shared
// disk. µs-cpu/http-path is the difference, the CPU an HTTP command
// cannot shed by any change to the handler or the store.
//
//	go test -run '^$' -bench HTTPPathCPU -benchtime 3x ./cmd/internal/bench/
func BenchmarkHTTPPathCPU(b *testing.B) {
	commandCPU(b, func(s eventstore.Store) eventstore.Store { return freeStore{s} })
}

// freeStore answers every stream read as a new stream and every append at
// once, writing nothing.
type freeStore struct{ eventstore.Store }

func (freeStore) ReadStream(context.Context, string, uint64, int) ([]eventstore.RecordedEvent, error) {
	return nil, eventstore.ErrStreamNotFound
}

func (freeStore) Append(_ context.Context, _ string, _ eventstore.ExpectedRevision, evs []eventstore.EventData) (eventstore.AppendResult, error) {
	return eventstore.AppendResult{NextExpected: uint64(len(evs) - 1), LastPosition: 1}, nil
}

// commandCPU runs the two sides of http_commands_64, over the handler's
// store wrapped by wrap, in alternating 2-second turns and reports each
// side's process CPU per command.
func commandCPU(b *testing.B, wrap func(eventstore.Store) eventstore.Store) {
	const clients = 64
	ctx := context.Background()
	r := newRunner(Options{Quick: true}, nil)
	defer r.close()
	l, err := startAPIOver(ctx, r, clients, wrap)
	if err != nil {
		b.Fatal(err)
	}
	defer l.close()
	var viaHTTP, direct loadTurns
	if _, _, err := viaHTTP.turn(500*time.Millisecond, clients, l.viaHTTP)(ctx); err != nil { // warm the connections
		b.Fatal(err)
	}
	var cpu [2]time.Duration
	var ops [2]float64
	for b.Loop() {
		for side, turn := range []turnFunc{direct.turn(2*time.Second, clients, l.direct), viaHTTP.turn(2*time.Second, clients, l.viaHTTP)} {
			before := processCPU(b)
			n, _, err := turn(ctx)
			if err != nil {
				b.Fatal(err)
			}
			cpu[side] += processCPU(b) - before
			ops[side] += n
		}
	}
	perOp := func(side int) float64 { return float64(cpu[side].Microseconds()) / ops[side] }
	b.ReportMetric(perOp(1), "µs-cpu/http-command")
	b.ReportMetric(perOp(0), "µs-cpu/direct-command")
	b.ReportMetric(perOp(1)-perOp(0), "µs-cpu/http-path")
	b.ReportMetric(perOp(0)/perOp(1), "cpu_ratio")
}

// BenchmarkNetHTTPFloor is what HTTP itself costs http_commands_64 before
// the API does anything: the same wireClient, 64 clients and server
// timeouts (NewHTTPServer), against a handler that only reads the body
// and writes an answer of the API's size that checkOpened accepts. Its
// µs-cpu/request (client, server, kernel, scheduler and GC) added to
// BenchmarkHTTPCommandCPU's µs-cpu/direct-command is the least an HTTP
// command can cost here, whatever the API's layers shed.
//
//	go test -run '^$' -bench NetHTTPFloor -benchtime 3x ./cmd/internal/bench/
func BenchmarkNetHTTPFloor(b *testing.B) {
	const clients = 64
	ctx := context.Background()
	// The API answers open_ticket with about 1.5 KB: one event and the ticket.
	event := strings.Repeat("e", 1200)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/tickets/{ticket_id}/commands/open_ticket", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return
		}
		id := strings.TrimPrefix(r.PathValue("ticket_id"), "H-")
		body := `{"ticket_id":"H-` + id + `","command_id":"c-` + id + `","duplicate":false,"revision":0,"events":[{"id":"` +
			event + `"}],"ticket":{"ticket_id":"H-` + id + `","status":"awaiting_merchant"}}` + "\n"
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, body)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := httpapi.NewHTTPServer(ln.Addr().String(), mux, httpapi.Timeouts{})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	_, data := benchOpen()
	body, err := json.Marshal(map[string]any{"data": data})
	if err != nil {
		b.Fatal(err)
	}
	client := newWireClient(ln.Addr().String(), "bench-token-buyer", body, clients)
	defer func() {
		client.close()
		_ = srv.Close()
		<-served
	}()
	var lt loadTurns
	var cpu time.Duration
	var ops float64
	for b.Loop() {
		before := processCPU(b)
		n, _, err := lt.turn(2*time.Second, clients, client.open)(ctx)
		if err != nil {
			b.Fatal(err)
		}
		cpu += processCPU(b) - before
		ops += n
	}
	b.ReportMetric(float64(cpu.Microseconds())/ops, "µs-cpu/request")
}
