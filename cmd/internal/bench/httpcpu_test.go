//go:build unix

package bench

import (
	"context"
	"syscall"
	"testing"
	"time"
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
	const clients = 64
	ctx := context.Background()
	r := newRunner(Options{Quick: true}, nil)
	defer r.close()
	l, err := startAPI(ctx, r, clients)
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
	b.ReportMetric(perOp(0)/perOp(1), "cpu_ratio")
}
