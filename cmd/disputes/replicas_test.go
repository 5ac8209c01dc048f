package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/cmd/internal/storeurl"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/supervise"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// replicaSetup is one PostgreSQL ledger (events and read models in fresh
// schemas), its tokens and sealing key, shared by replicas started on it.
type replicaSetup struct {
	storeURL, readURL, app string
	dir, tokens, key       string
	buyer, auditor         string
}

// newReplicaSetup tags every connection with an application_name of its
// own, so a test can kill its replicas' connections and nobody else's.
func newReplicaSetup(t *testing.T) *replicaSetup {
	t.Helper()
	storeURL, _ := testenv.PostgresSchema(t)
	readURL, _ := testenv.PostgresSchema(t)
	return newReplicaSetupAt(t, storeURL, readURL)
}

// newReplicaSetupAt is newReplicaSetup on the given (empty) schemas.
func newReplicaSetupAt(t *testing.T, storeURL, readURL string) *replicaSetup {
	t.Helper()
	s := &replicaSetup{app: testenv.RandomName("disputes-test-"), dir: t.TempDir()}
	s.storeURL, s.readURL = withApp(t, storeURL, s.app), withApp(t, readURL, s.app)
	s.tokens = filepath.Join(s.dir, "tokens.json")
	token := func(role, id string) string {
		code, out, errOut := runCLI(t, "", "tokens", "add", "--file", s.tokens, "--role", role, "--id", id)
		require.Equal(t, 0, code, errOut)
		return strings.TrimSpace(out)
	}
	s.buyer, s.auditor = token("buyer", "b-1"), token("auditor", "au-1")
	s.key = filepath.Join(s.dir, "seal.pem")
	code, _, errOut := runCLI(t, "", "keys", "--generate", s.key, "--out", filepath.Join(s.dir, "seal.pub.pem"))
	require.Equal(t, 0, code, errOut)
	return s
}

func withApp(t *testing.T, raw, app string) string {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return u.String()
}

// replica is one in-process `serve`: base is its API, ops its operators'
// listener (--metrics-addr), where /readyz gives every detail.
type replica struct {
	base, ops string
	logs      *testenv.LogBuffer
	stop      func()
}

func (s *replicaSetup) start(t *testing.T, name string, extra ...string) *replica {
	t.Helper()
	addr, opsAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testenv.LogBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--store", s.storeURL, "--projections", s.readURL, "--db", filepath.Join(s.dir, name+".db"),
			"--tokens", s.tokens, "--addr", addr, "--key", s.key, "--seal-every", "1", "--seal-interval", "50ms",
			"--replica-name", name, "--lease-ttl", "900ms", "--restart-backoff-max", "500ms", "--metrics-addr", opsAddr}, extra...),
			strings.NewReader(""), io.Discard, logs)
	}()
	stopped := false
	r := &replica{base: "http://" + addr, ops: "http://" + opsAddr, logs: logs, stop: func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			assert.Equal(t, 0, code, logs.String())
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	}}
	t.Cleanup(r.stop)
	waitReady(t, r.base, logs)
	return r
}

// readiness returns the status code and body of /readyz on the operators'
// listener, which details each component (the public one gives states only).
func (r *replica) readiness(t *testing.T) (int, httpapi.ReadinessDetail) {
	t.Helper()
	res, err := http.Get(r.ops + "/readyz")
	if err != nil {
		return 0, httpapi.ReadinessDetail{}
	}
	defer res.Body.Close()
	var body httpapi.ReadinessDetail
	require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
	return res.StatusCode, body
}

func (r *replica) component(t *testing.T, name string) supervise.Status {
	t.Helper()
	_, body := r.readiness(t)
	return componentIn(body, name)
}

// componentIn is the status of the component named name in one readiness
// answer (the zero Status if it has none).
func componentIn(body httpapi.ReadinessDetail, name string) supervise.Status {
	for _, c := range body.Components {
		if c.Name == name {
			return c.Status
		}
	}
	return supervise.Status{}
}

// openTicket records a ticket over HTTP, retrying while the answer is 503
// (the store away); it returns the final status.
func (s *replicaSetup) openTicket(t *testing.T, r *replica, id string) int {
	t.Helper()
	body := `{"data":{"order_id":"O-` + id + `","merchant_id":"m-1","kind":"refund_only","reason":"quality","currency":"CNY","amount_paid":5000,"requested":5000,"order_shipped":true}}`
	var status int
	for range 50 {
		req, err := http.NewRequest("POST", r.base+"/v1/tickets/"+id+"/commands/open_ticket", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+s.buyer)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "open-"+id)
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			status = res.StatusCode
			res.Body.Close()
			if status != http.StatusServiceUnavailable {
				return status
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return status
}

// listed reports whether the ticket list (the projector's work) shows id.
func (s *replicaSetup) listed(r *replica, id string) bool {
	req, _ := http.NewRequest("GET", r.base+"/v1/tickets?limit=100", nil)
	req.Header.Set("Authorization", "Bearer "+s.auditor)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode == http.StatusOK && strings.Contains(string(b), `"`+id+`"`)
}

// TestReadyzFailsWhileTheStoreCannotWriteAndHealsByItself: /readyz shows
// every component; it turns 503 while the database takes no writes (a lock
// held on the heartbeat table stands in for a full disk or a read-only
// primary) and after every connection of the replica is killed, and comes
// back to 200 with no one restarting anything; the projector resumes.
func TestReadyzFailsWhileTheStoreCannotWriteAndHealsByItself(t *testing.T) {
	t.Parallel()
	s := newReplicaSetup(t)
	r := s.start(t, "solo")
	code, body := r.readiness(t)
	require.Equal(t, http.StatusOK, code)
	names := map[string]supervise.State{}
	for _, c := range body.Components {
		names[c.Name] = c.State
	}
	assert.Equal(t, map[string]supervise.State{"store": supervise.OK, "projector": supervise.OK, "scheduler": supervise.OK, "sealer": supervise.OK}, names)
	assert.Positive(t, r.component(t, "sealer").Token, "the sealer holds its lease")

	ctx := context.Background()
	admin, err := pgx.Connect(ctx, testenv.PostgresURL(t))
	require.NoError(t, err)
	defer admin.Close(ctx)
	storeSchema := mustSchema(t, s.storeURL)

	// The store takes no writes.
	tx, err := admin.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `LOCK TABLE `+pgx.Identifier{storeSchema, "coord_replicas"}.Sanitize()+` IN EXCLUSIVE MODE`)
	require.NoError(t, err)
	// Wait for the store's own state, not just any 503: on a loaded machine
	// another component may make readyz 503 for a moment first.
	var st supervise.Status
	require.Eventually(t, func() bool {
		code, body := r.readiness(t)
		for _, c := range body.Components {
			if c.Name == "store" {
				st = c.Status
			}
		}
		return code == http.StatusServiceUnavailable && st.State != supervise.OK && st.LastError != ""
	}, 10*time.Second, 50*time.Millisecond, "readyz stays 200, or the store ok, while writes block")
	require.NoError(t, tx.Rollback(ctx))
	require.Eventually(t, func() bool { code, _ := r.readiness(t); return code == http.StatusOK },
		10*time.Second, 50*time.Millisecond, "readyz does not recover: %s", r.logs)

	// Every connection of the replica is killed.
	require.Equal(t, http.StatusCreated, s.openTicket(t, r, "T-before"))
	killed := terminateBackends(t, admin, s.app)
	assert.Positive(t, killed)
	require.Equal(t, http.StatusCreated, s.openTicket(t, r, "T-after"), r.logs.String())
	require.Eventually(t, func() bool { return s.listed(r, "T-after") && s.listed(r, "T-before") },
		15*time.Second, 50*time.Millisecond, "the projector did not resume: %s", r.logs)
	require.Eventually(t, func() bool { code, _ := r.readiness(t); return code == http.StatusOK },
		15*time.Second, 50*time.Millisecond, "readyz does not recover: %s", r.logs)
}

// terminateBackends kills every connection tagged with app.
func terminateBackends(t *testing.T, admin *pgx.Conn, app string) int {
	t.Helper()
	var n int
	require.NoError(t, admin.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND pid <> pg_backend_pid()`, app).Scan(&n))
	return n
}

func mustSchema(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Query().Get("search_path")
}

// TestStandbyTakesOverWhenTheOwnerStops: two replicas on one ledger —
// each shared job runs on one of them, the other stands by (ready), and
// when the owner stops the standby takes the job over with a higher token.
func TestStandbyTakesOverWhenTheOwnerStops(t *testing.T) {
	t.Parallel()
	s := newReplicaSetup(t)
	a := s.start(t, "a")
	b := s.start(t, "b")
	jobs := []string{"projector", "scheduler", "sealer"}
	owner := map[string]*replica{}
	tokens := map[string]uint64{}
	for _, job := range jobs {
		require.Eventually(t, func() bool {
			sa, sb := a.component(t, job), b.component(t, job)
			switch {
			case sa.State == supervise.OK && sb.State == supervise.Standby && sb.Owner == "a":
				owner[job], tokens[job] = a, sa.Token
			case sb.State == supervise.OK && sa.State == supervise.Standby && sa.Owner == "b":
				owner[job], tokens[job] = b, sb.Token
			default:
				return false
			}
			return true
		}, 10*time.Second, 50*time.Millisecond, "%s: one owner, one standby", job)
	}
	for _, r := range []*replica{a, b} {
		code, _ := r.readiness(t)
		assert.Equal(t, http.StatusOK, code, "owner and standby are both ready")
	}
	// The metrics show each component's state and the tokens a holds.
	res, err := http.Get(a.ops + "/metrics")
	require.NoError(t, err)
	exposition, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	for _, job := range jobs {
		state := "standby"
		if owner[job] == a {
			state = "ok"
			assert.Contains(t, string(exposition), fmt.Sprintf(`disputes_lease_token{component=%q,lease=%q} %d`, job, job, tokens[job]))
		}
		assert.Contains(t, string(exposition), fmt.Sprintf(`disputes_component_state{component=%q,state=%q} 1`, job, state))
	}
	assert.Contains(t, string(exposition), `disputes_component_state{component="store",state="ok"} 1`)
	assert.Contains(t, string(exposition), `disputes_component_restarts_total{component="store"} 0`)
	a.stop()
	for _, job := range jobs {
		require.Eventually(t, func() bool {
			st := b.component(t, job)
			return st.State == supervise.OK && st.Token > 0
		}, 10*time.Second, 50*time.Millisecond, "%s: b takes over: %s", job, b.logs)
		if owner[job] == a {
			assert.Greater(t, b.component(t, job).Token, tokens[job], "%s: a takeover raises the token", job)
		}
	}
	require.Equal(t, http.StatusCreated, s.openTicket(t, b, "T-b"))
	require.Eventually(t, func() bool { return s.listed(b, "T-b") }, 10*time.Second, 50*time.Millisecond)
}

// TestScaledClockSharesTheLedgersOrigin: the first replica with a scaled
// clock stores its origin in the ledger; a replica started later with
// another --clock-start, and a restart, read the same clock.
func TestScaledClockSharesTheLedgersOrigin(t *testing.T) {
	t.Parallel()
	s := newReplicaSetup(t)
	origin := time.Date(2030, 1, 7, 1, 0, 0, 0, time.UTC)
	a := s.start(t, "a", "--clock-speed", "3600", "--clock-start", origin.Format(time.RFC3339))
	time.Sleep(500 * time.Millisecond)
	b := s.start(t, "b", "--clock-speed", "3600", "--clock-start", "2040-01-01T00:00:00Z")
	require.Equal(t, http.StatusCreated, s.openTicket(t, b, "T-clock-b"))
	a.stop()
	b.stop()
	c := s.start(t, "c", "--clock-speed", "3600")
	require.Equal(t, http.StatusCreated, s.openTicket(t, c, "T-clock-c"))

	store, err := storeurl.OpenReadOnly(context.Background(), s.storeURL)
	require.NoError(t, err)
	defer store.Close()
	at := map[string]time.Time{}
	for _, e := range readLog(t, store) {
		at[e.Stream] = e.OccurredAt
	}
	for _, id := range []string{"T-clock-b", "T-clock-c"} {
		recorded, ok := at["ticket-"+id]
		require.True(t, ok, id)
		assert.True(t, recorded.After(origin), "%s recorded at %s, before the origin %s", id, recorded, origin)
		assert.True(t, recorded.Before(origin.Add(24*time.Hour)), "%s recorded at %s: not the ledger's clock (from %s at 3600x)", id, recorded, origin)
	}
}

// TestReadyzOnSQLiteFailsWhileTheFileTakesNoWrites: on SQLite the store
// component writes a heartbeat into the ledger file; while another process
// holds the file's write lock (as a full disk or a stuck writer would stop
// writes) /readyz is 503 naming the store, and 200 again once it is freed.
func TestReadyzOnSQLiteFailsWhileTheFileTakesNoWrites(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ledger := filepath.Join(dir, "ledger.db")
	tokens := filepath.Join(dir, "tokens.json")
	code, _, errOut := runCLI(t, "", "tokens", "add", "--file", tokens, "--role", "auditor", "--id", "au-1")
	require.Equal(t, 0, code, errOut)
	addr, opsAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testenv.LogBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--db", ledger, "--tokens", tokens, "--addr", addr, "--metrics-addr", opsAddr,
			"--restart-backoff-max", "500ms"}, strings.NewReader(""), io.Discard, logs)
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	r := &replica{base: "http://" + addr, ops: "http://" + opsAddr, logs: logs}
	waitReady(t, r.base, logs)

	db, err := sql.Open("sqlite", sqlite.DSN(ledger))
	require.NoError(t, err)
	defer db.Close()
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `BEGIN IMMEDIATE`)
	require.NoError(t, err)
	// The 503 and the store's state are read from one answer: the store
	// is restarted while it fails (--restart-backoff-max), so a second
	// request could find it between a restart and its next heartbeat.
	require.Eventually(t, func() bool {
		code, detail := r.readiness(t)
		return code == http.StatusServiceUnavailable && componentIn(detail, "store").State != supervise.OK
	}, 15*time.Second, 50*time.Millisecond, "readyz does not answer 503 naming the store while the file takes no writes")
	_, err = conn.ExecContext(ctx, `ROLLBACK`)
	require.NoError(t, err)
	require.Eventually(t, func() bool { code, _ := r.readiness(t); return code == http.StatusOK },
		15*time.Second, 50*time.Millisecond, "readyz does not recover: %s", logs)
}
