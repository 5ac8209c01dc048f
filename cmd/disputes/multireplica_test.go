package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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

	stream := testenv.RandomName("DISPUTES_T_")
	cfg := serveConfig{bin: disputesBinary(t), natsURL: natsURL, stream: stream, subjectPrefix: strings.ToLower(stream)}
	procs := s.startReady(t, cfg, "r1", "r2", "r3")

	// Load: writers open tickets and post messages on any live replica,
	// retrying each command with its key until it is acknowledged.
	load := startCommandLoad(s, 6, procs)
	loadRunning := true
	defer func() {
		if loadRunning {
			load.finish()
		}
	}()

	// Once the load is under way, SIGKILL the replica that owns the
	// scheduler (and whatever else it owns).
	load.waitAcks(t, 30, "load before the SIGKILL")
	owner := schedulerOwner(t, procs)
	// The tokens the killed replica held: whoever takes its jobs over
	// must hold higher ones.
	tokensBefore := map[string]uint64{}
	for _, job := range backgroundJobs {
		if st := owner.status(t, job); st.State == supervise.OK {
			tokensBefore[job] = st.Token
		}
	}
	owner.kill(t)
	var rest []*serveProcess
	for _, p := range procs {
		if p != owner {
			rest = append(rest, p)
		}
	}
	load.setLive(rest)
	killedAt := time.Now()
	heir := schedulerOwner(t, rest)
	t.Logf("scheduler taken over by %s %s after SIGKILL of %s", heir.name, time.Since(killedAt).Round(10*time.Millisecond), owner.name)

	// Once the survivors have taken more load, terminate every PostgreSQL
	// connection of the replicas.
	load.waitAcks(t, 30, "load after the takeover")
	admin, err := pgx.Connect(ctx, testenv.PostgresURL(t))
	require.NoError(t, err)
	defer admin.Close(ctx)
	assert.Positive(t, terminateBackends(t, admin, s.app))
	load.waitAcks(t, 30, "load after the connections were terminated")
	// The load goes on until the first tickets' deadlines fire.
	waitExpiries(t, admin, s, 10)
	load.finish()
	loadRunning = false
	assert.Empty(t, load.bad, "answers a client cannot act on")
	assert.Empty(t, load.gaveUp, "commands never acknowledged")
	t.Logf("%d tickets and %d messages acknowledged; 503s by code: %v", len(load.tickets), len(load.messages), load.unavailable)

	// The killed replica comes back; every /readyz is 200 again.
	back := s.startReady(t, cfg, owner.name+"b")[0]
	all := append(rest, back)
	for _, p := range all {
		waitReadyProcess(t, p)
	}
	for _, job := range backgroundJobs {
		var states []string
		settled := assert.Eventually(t, func() bool {
			owners, standbys := 0, 0
			states = nil
			for _, p := range all {
				st := p.status(t, job)
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

	// No acknowledged command lost or doubled; each expiry once and on
	// time.
	checkEachCommandOnce(t, log, load)
	checkExpiries(t, log)

	// One seal series that verifies: sizes and seal times grow together,
	// and verify checks every seal against the log.
	checkOneSealSeries(t, admin, mustSchema(t, s.storeURL))
	code, vout, verr := runCLI(t, "", "verify", "--public-key", filepath.Join(s.dir, "seal.pub.pem"), "--store", s.storeURL)
	assert.Equal(t, 0, code, "verify: %s %s", vout, verr)

	// JetStream holds each event of the log once, once the forwarder has
	// caught up.
	waitForwardedOnce(t, natsURL, stream, store)

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
