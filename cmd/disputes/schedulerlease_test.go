package main

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/supervise"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// inProcess is one in-process run of the CLI (serve or scheduler).
type inProcess struct {
	logs *testenv.LogBuffer
	stop func()
}

func startCLI(t *testing.T, args ...string) *inProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testenv.LogBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, strings.NewReader(""), io.Discard, logs) }()
	stopped := false
	p := &inProcess{logs: logs, stop: func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			assert.Equal(t, 0, code, "%s: %s", args[0], logs)
		case <-time.After(15 * time.Second):
			t.Errorf("%s did not stop", args[0])
		}
	}}
	t.Cleanup(p.stop)
	return p
}

// TestStandaloneSchedulerSharesServesLease: `disputes scheduler` beside
// `serve` on one SQLite ledger takes the same "scheduler" lease (a table in
// the file): one of them fires, the other stands by, and when the owner
// stops the other takes over — in both directions.
func TestStandaloneSchedulerSharesServesLease(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ledger, tokens := filepath.Join(dir, "ledger.db"), filepath.Join(dir, "tokens.json")
	code, _, errOut := runCLI(t, "", "demo", "--db", ledger, "--tickets", "3")
	require.Equal(t, 0, code, errOut)
	code, _, errOut = runCLI(t, "", "tokens", "add", "--file", tokens, "--role", "auditor", "--id", "au-1")
	require.Equal(t, 0, code, errOut)
	leaseTTL := []string{"--lease-ttl", "600ms", "--restart-backoff-max", "300ms"}

	serve := func(name string) (*inProcess, *replica) {
		addr, ops := freeAddr(t), freeAddr(t)
		p := startCLI(t, append([]string{"serve", "--db", ledger, "--tokens", tokens, "--addr", addr, "--metrics-addr", ops,
			"--replica-name", name}, leaseTTL...)...)
		r := &replica{base: "http://" + addr, ops: "http://" + ops, logs: p.logs}
		waitReady(t, r.base, p.logs)
		return p, r
	}
	leaseHolder := func() string {
		db, err := sql.Open("sqlite", sqlite.DSN(ledger))
		require.NoError(t, err)
		defer db.Close()
		var holder string
		var expires int64
		require.NoError(t, db.QueryRow(`SELECT holder, expires_at FROM coord_leases WHERE name = 'scheduler'`).Scan(&holder, &expires))
		if time.UnixMilli(expires).Before(time.Now()) {
			return "" // expired or released
		}
		return holder
	}
	const running = `"msg":"lease held: running"`

	a, ra := serve("serve-a")
	require.Eventually(t, func() bool { st := ra.component(t, "scheduler"); return st.State == supervise.OK && st.Token > 0 },
		10*time.Second, 20*time.Millisecond, "serve's scheduler never held the lease")
	b := startCLI(t, append([]string{"scheduler", "--db", ledger, "--no-projection", "--replica-name", "sched-b"}, leaseTTL...)...)
	require.Eventually(t, func() bool { return strings.Contains(b.logs.String(), "scheduler running") }, 10*time.Second, 20*time.Millisecond)
	time.Sleep(1500 * time.Millisecond) // more than two lease periods
	assert.NotContains(t, b.logs.String(), running, "the standalone scheduler fires although serve's holds the lease")
	assert.Equal(t, "serve-a", leaseHolder())
	assert.Equal(t, supervise.OK, ra.component(t, "scheduler").State)

	a.stop() // releases the lease on the way out
	require.Eventually(t, func() bool { return strings.Contains(b.logs.String(), running) }, 10*time.Second, 20*time.Millisecond,
		"the standalone scheduler did not take over: %s", b.logs)
	assert.Equal(t, "sched-b", leaseHolder())

	_, rc := serve("serve-c")
	require.Eventually(t, func() bool {
		st := rc.component(t, "scheduler")
		return st.State == supervise.Standby && st.Owner == "sched-b"
	}, 10*time.Second, 20*time.Millisecond, "serve's scheduler does not stand by for the standalone one")
	code, _ = rc.readiness(t)
	assert.Equal(t, http.StatusOK, code, "standing by is ready")
	b.stop()
	require.Eventually(t, func() bool { st := rc.component(t, "scheduler"); return st.State == supervise.OK && st.Token > 0 },
		10*time.Second, 20*time.Millisecond, "serve did not take the scheduler back")
	assert.Equal(t, "serve-c", leaseHolder())
}
