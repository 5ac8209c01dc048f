package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/internal/supervise"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// gate is a TCP port in front of a server that refuses connections until
// it is opened: a database out of reach, then back.
type gate struct {
	addr, to string
	mu       sync.Mutex
	ln       net.Listener
	conns    []net.Conn
}

// open starts accepting on addr and relays each connection to the server.
func (g *gate) open(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", g.addr)
	require.NoError(t, err)
	g.mu.Lock()
	g.ln = ln
	g.mu.Unlock()
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", g.to)
			if err != nil {
				in.Close()
				continue
			}
			g.mu.Lock()
			g.conns = append(g.conns, in, out)
			g.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); out.Close() }()
			go func() { _, _ = io.Copy(in, out); in.Close() }()
		}
	}()
}

func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ln != nil {
		g.ln.Close()
	}
	for _, c := range g.conns {
		c.Close()
	}
}

// TestServeStartsWhileTheReadModelsAreOutOfReach: serve starts although its
// read-model database refuses connections — the API answers, commands are
// recorded, lists answer 503, the projector and the scheduler wait
// (starting or retrying) — and becomes ready by itself once the database
// answers, the ticket recorded meanwhile then listed.
func TestServeStartsWhileTheReadModelsAreOutOfReach(t *testing.T) {
	t.Parallel()
	readURL, _ := testenv.PostgresSchema(t)
	u, err := url.Parse(readURL)
	require.NoError(t, err)
	g := &gate{addr: freeAddr(t), to: u.Host} // nothing listens there yet
	t.Cleanup(g.close)
	u.Host = g.addr

	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens.json")
	token := func(role, id string) string {
		code, out, errOut := runCLI(t, "", "tokens", "add", "--file", tokens, "--role", role, "--id", id)
		require.Equal(t, 0, code, errOut)
		return strings.TrimSpace(out)
	}
	buyer, auditor := token("buyer", "b-1"), token("auditor", "au-1")
	addr, opsAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testenv.LogBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--db", filepath.Join(dir, "ledger.db"), "--projections", u.String(),
			"--tokens", tokens, "--addr", addr, "--metrics-addr", opsAddr, "--restart-backoff-max", "300ms"},
			strings.NewReader(""), io.Discard, logs)
	}()
	defer func() {
		cancel()
		select {
		case code := <-done:
			assert.Equal(t, 0, code, logs.String())
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	r := &replica{base: "http://" + addr, ops: "http://" + opsAddr, logs: logs}

	// The API answers; it is not ready, and says which components wait.
	require.Eventually(t, func() bool {
		select {
		case code := <-done:
			t.Fatalf("serve exited %d with the read models out of reach: %s", code, logs)
		default:
		}
		code, body := r.readiness(t)
		if code != http.StatusServiceUnavailable {
			return false
		}
		waiting := map[string]bool{}
		for _, c := range body.Components {
			if c.State == supervise.Starting || c.State == supervise.Retrying {
				waiting[c.Name] = true
			}
		}
		return waiting["projector"] && waiting["scheduler"] && r.component(t, "projector").LastError != ""
	}, 15*time.Second, 50*time.Millisecond, "the projector and scheduler do not wait for the read models: %s", logs)
	assert.Contains(t, r.component(t, "projector").LastError, "connect", "the projector names what it waits for")
	res, err := http.Get(r.base + "/healthz")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)

	s := &replicaSetup{buyer: buyer, auditor: auditor}
	require.Equal(t, http.StatusCreated, s.openTicket(t, r, "T-meanwhile"), "the write path works without the read models")
	req, err := http.NewRequest("GET", r.base+"/v1/tickets", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+auditor)
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	var problem httpapi.Problem
	require.NoError(t, json.NewDecoder(res.Body).Decode(&problem))
	res.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode, "lists wait for the read models")
	assert.Equal(t, "read_model_unavailable", problem.Code)
	assert.Equal(t, "1", res.Header.Get("Retry-After"))

	// The database answers: ready by itself, with what was recorded meanwhile.
	g.open(t)
	require.Eventually(t, func() bool { code, _ := r.readiness(t); return code == http.StatusOK },
		20*time.Second, 50*time.Millisecond, "serve does not become ready once the read models answer: %s", logs)
	require.Eventually(t, func() bool { return s.listed(r, "T-meanwhile") }, 10*time.Second, 50*time.Millisecond)
	for _, name := range []string{"projector", "scheduler"} {
		assert.Equal(t, supervise.OK, r.component(t, name).State, name)
	}
}
