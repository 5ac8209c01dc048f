package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/cmd/internal/storeurl"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/internal/supervise"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// The multi-replica test's clock: 10 ledger hours per real second, so the
// merchant's 72-hour response deadline of a ticket opened during the load
// falls due 7.2 s later, inside the test.
const (
	multiSpeed = 36000
	// lateReal is how late (in real time) an expiry may be recorded: the
	// lease's expiry, the standby's next look and its catch-up.
	lateReal = 8 * time.Second
)

// serveProcess is one `disputes serve` process built by `go build`: base
// is its API, ops its operators' listener (--metrics-addr).
type serveProcess struct {
	name, base, ops string
	cmd             *exec.Cmd
	log             string
	done            chan struct{}
}

func (p *serveProcess) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

func (p *serveProcess) logTail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// TestMultiReplicaFailover runs three `serve` processes on one PostgreSQL
// ledger (fresh schemas) with NATS forwarding, and puts concurrent load on
// them through HTTP while the owner of the shared jobs is SIGKILLed and,
// later, every PostgreSQL connection of the replicas is terminated. Then:
// every acknowledged command is in the log, each expiry is recorded once and
// on time, the seals form one series that verifies, the read models equal a
// rebuild, JetStream holds each event once, and every /readyz is 200 again.
func TestMultiReplicaFailover(t *testing.T) {
	t.Parallel()
	natsURL := testenv.NATSURL(t)
	s := newReplicaSetup(t)
	ctx := context.Background()

	bin := filepath.Join(s.dir, "disputes")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	stream := testenv.RandomName("DISPUTES_T_")
	prefix := strings.ToLower(stream)
	start := func(name string) *serveProcess {
		addr, opsAddr := freeAddr(t), freeAddr(t)
		p := &serveProcess{name: name, base: "http://" + addr, ops: "http://" + opsAddr, log: filepath.Join(s.dir, name+".log"), done: make(chan struct{})}
		logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		require.NoError(t, err)
		p.cmd = exec.Command(bin, "serve", "--store", s.storeURL, "--projections", s.readURL, "--db", filepath.Join(s.dir, name+".db"),
			"--tokens", s.tokens, "--addr", addr, "--metrics-addr", opsAddr, "--key", s.key, "--seal-every", "20", "--seal-interval", "200ms",
			"--replica-name", name, "--lease-ttl", "1500ms", "--restart-backoff-max", "1s", "--clock-speed", fmt.Sprint(multiSpeed),
			"--forward-nats", natsURL, "--forward-stream", stream, "--forward-subject-prefix", prefix, "--log-level", "warn")
		p.cmd.Stdout, p.cmd.Stderr = logf, logf
		require.NoError(t, p.cmd.Start())
		go func() {
			_ = p.cmd.Wait()
			logf.Close()
			close(p.done)
		}()
		t.Cleanup(func() {
			if p.alive() {
				_ = p.cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-p.done:
				case <-time.After(15 * time.Second):
					_ = p.cmd.Process.Kill()
				}
			}
		})
		return p
	}
	procs := []*serveProcess{start("r1"), start("r2"), start("r3")}
	for _, p := range procs {
		waitReadyProcess(t, p)
	}

	// Load: writers open tickets on any live replica; an answer 201 is an
	// acknowledgement. A failed attempt is retried with the same key on
	// another replica until acknowledged.
	var (
		mu      sync.Mutex
		acked   = map[string]bool{}
		live    atomic.Pointer[[]*serveProcess]
		stop    = make(chan struct{})
		writers sync.WaitGroup
		seq     atomic.Int64
	)
	live.Store(&procs)
	for w := range 6 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("T-%d-%d", w, seq.Add(1))
				for attempt := 0; attempt < 100; attempt++ {
					ps := *live.Load()
					if code := openTicketOnce(s, ps[rand.IntN(len(ps))].base, id); code == http.StatusCreated {
						mu.Lock()
						acked[id] = true
						mu.Unlock()
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}

	// 3 s in: SIGKILL the replica that owns the scheduler (and whatever
	// else it owns).
	time.Sleep(3 * time.Second)
	var owner *serveProcess
	for _, p := range procs {
		if statusOf(t, p, "scheduler").State == supervise.OK {
			owner = p
		}
	}
	require.NotNil(t, owner, "no replica owns the scheduler")
	jobs := []string{"projector", "scheduler", "sealer", "forwarder"}
	// The tokens the killed replica held: whoever takes its jobs over
	// must hold higher ones.
	tokensBefore := map[string]uint64{}
	for _, job := range jobs {
		if st := statusOf(t, owner, job); st.State == supervise.OK {
			tokensBefore[job] = st.Token
		}
	}
	require.NoError(t, owner.cmd.Process.Signal(syscall.SIGKILL))
	<-owner.done
	var rest []*serveProcess
	for _, p := range procs {
		if p != owner {
			rest = append(rest, p)
		}
	}
	live.Store(&rest)
	killedAt := time.Now()
	require.Eventually(t, func() bool {
		for _, p := range rest {
			if statusOf(t, p, "scheduler").State == supervise.OK {
				return true
			}
		}
		return false
	}, 10*time.Second, 50*time.Millisecond, "no standby took the scheduler over")
	takeover := time.Since(killedAt)
	t.Logf("scheduler taken over %s after SIGKILL of %s", takeover.Round(10*time.Millisecond), owner.name)

	// 6 s in: terminate every PostgreSQL connection of the replicas.
	time.Sleep(3 * time.Second)
	admin, err := pgx.Connect(ctx, testenv.PostgresURL(t))
	require.NoError(t, err)
	defer admin.Close(ctx)
	assert.Positive(t, terminateBackends(t, admin, s.app))

	time.Sleep(3 * time.Second)
	close(stop)
	writers.Wait()
	loadEnd := time.Now()
	t.Logf("%d tickets acknowledged", len(acked))
	require.NotEmpty(t, acked)

	// The killed replica comes back; every /readyz is 200 again.
	back := start(owner.name + "b")
	all := append(rest, back)
	for _, p := range all {
		waitReadyProcess(t, p)
	}
	for _, job := range jobs {
		var states []string
		settled := assert.Eventually(t, func() bool {
			owners, standbys := 0, 0
			states = nil
			for _, p := range all {
				st := statusOf(t, p, job)
				states = append(states, fmt.Sprintf("%s: %s token %d %s", p.name, st.State, st.Token, st.LastError))
				switch {
				case st.State == supervise.OK && st.Token > tokensBefore[job]:
					owners++
				case st.State == supervise.Standby:
					standbys++
				}
			}
			return owners == 1 && standbys == len(all)-1
		}, 15*time.Second, 100*time.Millisecond)
		require.True(t, settled, "%s: one owner (with a token above the killed one's, if it held the job), the others standing by: %v", job, states)
	}
	// Every deadline due by now (less the slack) has fired: wait for it.
	store, err := storeurl.OpenReadOnly(ctx, s.storeURL)
	require.NoError(t, err)
	defer store.Close()
	dueBy := func() time.Time {
		// The ledger clock now, less the slack a takeover may take.
		return nowOnLedger(t, admin, s).Add(-lateReal * multiSpeed)
	}
	var log []events.Envelope
	require.Eventually(t, func() bool {
		log = readLog(t, store)
		return len(overdue(log, dueBy())) == 0
	}, 30*time.Second, 200*time.Millisecond, "deadlines left overdue: %v", func() any { return overdue(log, dueBy()) })

	// No acknowledged command lost.
	opened := map[string]bool{}
	for _, e := range log {
		if e.Revision == 0 {
			opened[strings.TrimPrefix(e.Stream, events.StreamPrefix)] = true
		}
	}
	for id := range acked {
		assert.True(t, opened[id], "acknowledged ticket %s is not in the log", id)
	}

	// Each expiry once and on time.
	type expiry struct {
		stream string
		kind   events.DeadlineKind
		due    time.Time
	}
	seen := map[expiry]int{}
	var latest time.Duration
	for _, e := range log {
		x, ok := e.Payload.(events.DeadlineExpired)
		if !ok {
			continue
		}
		k := expiry{e.Stream, x.Deadline, x.DueAt.UTC()}
		seen[k]++
		late := time.Duration(float64(e.OccurredAt.Sub(x.DueAt)) / multiSpeed)
		latest = max(latest, late)
		assert.LessOrEqual(t, late, lateReal, "%s %s recorded %s (real) after it was due", e.Stream, x.Deadline, late)
	}
	require.NotEmpty(t, seen, "no deadline expired during the test")
	for k, n := range seen {
		assert.Equal(t, 1, n, "%s %s due %s recorded %d times", k.stream, k.kind, k.due, n)
	}
	t.Logf("%d expiries, the latest %s (real) after due; load ended %s ago", len(seen), latest.Round(time.Millisecond), time.Since(loadEnd).Round(time.Millisecond))

	// One seal series that verifies: sizes and seal times grow together,
	// and verify checks every seal against the log.
	schema := mustSchema(t, s.storeURL)
	rows, err := admin.Query(ctx, `SELECT size, sealed_at FROM `+pgx.Identifier{schema, "audit_seals"}.Sanitize()+` ORDER BY size`)
	require.NoError(t, err)
	var prev time.Time
	nseals := 0
	for rows.Next() {
		var size int64
		var at string
		require.NoError(t, rows.Scan(&size, &at))
		sealedAt, err := time.Parse(time.RFC3339Nano, at)
		require.NoError(t, err)
		assert.False(t, sealedAt.Before(prev), "seal of size %d sealed at %s, before the smaller seal's %s: two series", size, sealedAt, prev)
		prev = sealedAt
		nseals++
	}
	require.NoError(t, rows.Err())
	assert.Positive(t, nseals)
	code, vout, verr := runCLI(t, "", "verify", "--public-key", filepath.Join(s.dir, "seal.pub.pem"), "--store", s.storeURL)
	assert.Equal(t, 0, code, "verify: %s %s", vout, verr)

	// JetStream holds each event of the log once, once the forwarder has
	// caught up.
	nc, err := nats.Connect(natsURL)
	require.NoError(t, err)
	defer nc.Close()
	js, err := nc.JetStream()
	require.NoError(t, err)
	defer func() { _ = js.DeleteStream(stream) }()
	var msgs, logged uint64
	caughtUp := assert.Eventually(t, func() bool {
		info, err := js.StreamInfo(stream)
		if err != nil {
			return false
		}
		msgs, logged = info.State.Msgs, uint64(len(readLog(t, store)))
		return msgs == logged
	}, 20*time.Second, 200*time.Millisecond)
	require.True(t, caughtUp, "forwarded messages vs events in the log: %d vs %d", msgs, logged)

	// The read models equal a rebuild. The replicas stop first, so the log
	// stops growing; what the projector had not reached yet is projected
	// by 'disputes project', as the next replica to start would.
	stopAll(all)
	code, _, perr := runCLI(t, "", "project", "--store", s.storeURL, "--projections", s.readURL, "--db", filepath.Join(s.dir, "project.db"))
	require.Equal(t, 0, code, perr)
	rebuiltURL, _ := testenv.PostgresSchema(t)
	code, _, rerr := runCLI(t, "", "rebuild", "--store", s.storeURL, "--projections", rebuiltURL, "--db", filepath.Join(s.dir, "rebuild.db"))
	require.Equal(t, 0, code, rerr)
	live_, rebuilt := dumpReadModels(t, admin, mustSchema(t, s.readURL)), dumpReadModels(t, admin, mustSchema(t, rebuiltURL))
	require.NotEmpty(t, rebuilt)
	assert.Equal(t, rebuilt, live_, "read models kept through the failovers differ from a rebuild")
}

// openTicketOnce sends one open_ticket with the ticket's key.
func openTicketOnce(s *replicaSetup, base, id string) int {
	body := `{"data":{"order_id":"O-` + id + `","merchant_id":"m-1","kind":"refund_only","reason":"quality","currency":"CNY","amount_paid":5000,"requested":5000,"order_shipped":true}}`
	req, err := http.NewRequest("POST", base+"/v1/tickets/"+id+"/commands/open_ticket", strings.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+s.buyer)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "open-"+id)
	client := http.Client{Timeout: 10 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

func waitReadyProcess(t *testing.T, p *serveProcess) {
	t.Helper()
	var last string
	ok := assert.Eventually(t, func() bool {
		if !p.alive() {
			last = "exited"
			return false
		}
		res, err := http.Get(p.base + "/readyz")
		if err != nil {
			last = err.Error()
			return false
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		last = string(b)
		return res.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond)
	if !ok {
		t.Fatalf("%s never became ready: %s\nlog: %s", p.name, last, p.logTail())
	}
}

// statusOf reads a component's whole status from p's operators' listener.
func statusOf(t *testing.T, p *serveProcess, name string) supervise.Status {
	t.Helper()
	return (&replica{base: p.base, ops: p.ops}).component(t, name)
}

func stopAll(ps []*serveProcess) {
	for _, p := range ps {
		if p.alive() {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, p := range ps {
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
		}
	}
}

// nowOnLedger reads the shared scaled clock's origin from the ledger and
// returns its time now.
func nowOnLedger(t *testing.T, admin *pgx.Conn, s *replicaSetup) time.Time {
	t.Helper()
	var ledger, wall string
	var speed float64
	require.NoError(t, admin.QueryRow(context.Background(), `SELECT ledger_start, wall_start, speed FROM `+
		pgx.Identifier{mustSchema(t, s.storeURL), "coord_clock"}.Sanitize()).Scan(&ledger, &wall, &speed))
	l, err := time.Parse(time.RFC3339Nano, ledger)
	require.NoError(t, err)
	w, err := time.Parse(time.RFC3339Nano, wall)
	require.NoError(t, err)
	return l.Add(time.Duration(float64(time.Since(w)) * speed))
}

// readLog reads and decodes the whole global log.
func readLog(t *testing.T, store eventstore.Store) []events.Envelope {
	t.Helper()
	var out []events.Envelope
	var after uint64
	for {
		recs, err := store.ReadAll(context.Background(), after, 1000)
		require.NoError(t, err)
		if len(recs) == 0 {
			return out
		}
		for _, rec := range recs {
			env, err := events.Decode(rec.Data)
			require.NoError(t, err)
			out = append(out, env)
			after = rec.Position
		}
	}
}

// overdue lists the tickets' deadlines due by now and not recorded as met
// or expired.
func overdue(log []events.Envelope, now time.Time) []string {
	streams := map[string][]events.Envelope{}
	for _, e := range log {
		streams[e.Stream] = append(streams[e.Stream], e)
	}
	var out []string
	for name, envs := range streams {
		for _, d := range domain.Replay(envs).Overdue(now) {
			out = append(out, fmt.Sprintf("%s %s due %s", name, d.Kind, d.DueAt.Format(time.RFC3339)))
		}
	}
	sort.Strings(out)
	return out
}

// dumpReadModels returns every row of the schema's read-model tables
// (rm_*, less the bookkeeping), one line a row, sorted.
func dumpReadModels(t *testing.T, admin *pgx.Conn, schema string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	rows, err := admin.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name LIKE 'rm\_%'
		AND table_name NOT IN ('rm_checkpoints', 'rm_parked') ORDER BY 1`, schema)
	require.NoError(t, err)
	var tables []string
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		tables = append(tables, name)
	}
	require.NoError(t, rows.Err())
	out := map[string][]string{}
	for _, table := range tables {
		var lines []string
		rows, err := admin.Query(ctx, `SELECT t::text FROM `+pgx.Identifier{schema, table}.Sanitize()+` t`)
		require.NoError(t, err)
		for rows.Next() {
			var line string
			require.NoError(t, rows.Scan(&line))
			lines = append(lines, line)
		}
		require.NoError(t, rows.Err())
		sort.Strings(lines)
		out[table] = lines
	}
	return out
}
