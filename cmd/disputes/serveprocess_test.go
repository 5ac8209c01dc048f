package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/internal/supervise"
)

// The binary the multi-replica tests start as real processes, built once
// per test run (without -race: three race-instrumented servers would
// starve a 2-core machine) and removed by TestMain.
var built struct {
	once      sync.Once
	dir, path string
	err       error
}

// disputesBinary returns the path of the `disputes` binary, building it on
// first use.
func disputesBinary(t *testing.T) string {
	t.Helper()
	path, err := buildDisputes()
	require.NoError(t, err)
	return path
}

// buildDisputes builds the binary once; every call waits for that build.
func buildDisputes() (string, error) {
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "disputes-bin-"); built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "disputes")
		out, err := exec.Command("go", "build", "-o", built.path, ".").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	return built.path, built.err
}

// removeBuiltBinary deletes what disputesBinary built, if it ran.
func removeBuiltBinary() {
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
}

// serveConfig is what the processes of one multi-replica test share
// beside their replica setup.
type serveConfig struct {
	bin                            string
	natsURL, stream, subjectPrefix string
}

// startProcess starts `disputes serve` as a process named name on s's
// ledger (a fast shared clock, frequent seals, short leases, NATS
// forwarding); it is stopped (SIGTERM, then SIGKILL) when t ends.
func (s *replicaSetup) startProcess(t *testing.T, c serveConfig, name string) *serveProcess {
	t.Helper()
	addr, opsAddr := freeAddr(t), freeAddr(t)
	p := &serveProcess{name: name, base: "http://" + addr, ops: "http://" + opsAddr,
		log: filepath.Join(s.dir, name+".log"), done: make(chan struct{})}
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	p.cmd = exec.Command(c.bin, "serve", "--store", s.storeURL, "--projections", s.readURL, "--db", filepath.Join(s.dir, name+".db"),
		"--tokens", s.tokens, "--addr", addr, "--metrics-addr", opsAddr, "--key", s.key, "--seal-every", "20", "--seal-interval", "200ms",
		"--replica-name", name, "--lease-ttl", "1500ms", "--restart-backoff-max", "1s", "--clock-speed", fmt.Sprint(multiSpeed),
		"--forward-nats", c.natsURL, "--forward-stream", c.stream, "--forward-subject-prefix", c.subjectPrefix, "--log-level", "warn")
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.Env = append(os.Environ(), "GOTRACEBACK=all") // SIGQUIT dumps every goroutine: see stuckIn
	require.NoError(t, p.cmd.Start())
	go func() {
		_ = p.cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	t.Cleanup(func() { stopAll([]*serveProcess{p}) })
	return p
}

// startReady starts a process per name as startProcess does, all at
// once, and waits for each one's /readyz to answer 200. A port taken
// between freeAddr and the process' bind (other tests start servers too)
// is retried on fresh ports.
func (s *replicaSetup) startReady(t *testing.T, c serveConfig, names ...string) []*serveProcess {
	t.Helper()
	ps := make([]*serveProcess, len(names))
	for i, name := range names {
		ps[i] = s.startProcess(t, c, name)
	}
	for i, name := range names {
		for attempt := 1; ; attempt++ {
			p := ps[i]
			deadline := time.Now().Add(30 * time.Second)
			for p.alive() && !p.ready() && time.Now().Before(deadline) {
				select {
				case <-p.done:
				case <-time.After(50 * time.Millisecond):
				}
			}
			if p.alive() && p.ready() {
				break
			}
			if !strings.Contains(p.logTail(), "address already in use") || attempt == 3 {
				t.Fatalf("%s never became ready: %s", name, p.logTail())
			}
			ps[i] = s.startProcess(t, c, name)
		}
	}
	return ps
}

// ready reports whether the process' /readyz answers 200.
func (p *serveProcess) ready() bool {
	client := http.Client{Timeout: 2 * time.Second}
	res, err := client.Get(p.base + "/readyz")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// status returns the replica's state of one background component.
func (p *serveProcess) status(t *testing.T, component string) supervise.Status {
	t.Helper()
	return statusOf(t, p, component)
}

// kill SIGKILLs the process and waits for it to be gone.
func (p *serveProcess) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("%s outlived SIGKILL", p.name)
	}
}

// schedulerOwner waits until exactly one of ps reports the scheduler
// running (the others standing by) and returns it.
func schedulerOwner(t *testing.T, ps []*serveProcess) *serveProcess {
	t.Helper()
	var (
		owner  *serveProcess
		states []string
	)
	ok := assert.Eventually(t, func() bool {
		owner, states = nil, nil
		owners := 0
		for _, p := range ps {
			st := p.status(t, "scheduler")
			states = append(states, fmt.Sprintf("%s: %s", p.name, st.State))
			if st.State == supervise.OK {
				owner = p
				owners++
			}
		}
		return owners == 1
	}, 15*time.Second, 50*time.Millisecond)
	require.True(t, ok, "no single replica owns the scheduler: %v", states)
	return owner
}

// stuckIn is a diagnosis for a test that found p stuck: it SIGQUITs p and
// returns the stacks of its goroutines that mention any of the packages.
func (p *serveProcess) stuckIn(t *testing.T, packages ...string) string {
	t.Helper()
	if !p.alive() {
		return p.name + " is not running"
	}
	_ = p.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		return p.name + " did not answer SIGQUIT"
	}
	b, _ := os.ReadFile(p.log)
	var out []string
	for _, g := range strings.Split(string(b), "\n\n") {
		for _, pkg := range packages {
			if strings.HasPrefix(g, "goroutine ") && strings.Contains(g, pkg) {
				out = append(out, g)
				break
			}
		}
	}
	return strings.Join(out, "\n\n")
}
