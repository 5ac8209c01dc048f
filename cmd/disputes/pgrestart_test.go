package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/cmd/internal/storeurl"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/internal/supervise"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// backgroundJobs are the jobs one replica of a ledger runs under a lease.
var backgroundJobs = []string{"projector", "scheduler", "sealer", "forwarder"}

// TestReplicasHealAfterPostgresRestarts runs three `serve` processes on a
// PostgreSQL server private to the test (so it may be crashed) with NATS
// forwarding, under concurrent HTTP load, and in turn: SIGKILLs the owner
// of the scheduler (and brings it back), terminates every PostgreSQL
// connection of the replicas, and restarts PostgreSQL in immediate mode (a
// crash: every backend killed, the WAL replayed). Each fault waits for the
// load to make progress after the last. Then: no answer a client could not
// act on (a 500, a 503 without outcome_unknown/unavailable and
// Retry-After); every acknowledged command in the log exactly once; each
// expiry recorded once, not before it was due and at most lateReal after;
// per ticket, time never goes backwards; every replica ready again by
// itself, each job with one owner; JetStream holding each event once; one
// seal series that verifies; the read models equal to a rebuild.
func TestReplicasHealAfterPostgresRestarts(t *testing.T) {
	t.Parallel()
	natsURL := testenv.NATSURL(t)
	go func() { _, _ = buildDisputes() }() // while initdb runs
	pg := testenv.NewPostgresCluster(t)
	storeURL, _ := pg.Schema(t)
	readURL, _ := pg.Schema(t)
	s := newReplicaSetupAt(t, storeURL, readURL)
	ctx := context.Background()
	began := time.Now()

	stream := testenv.RandomName("DISPUTES_T_")
	cfg := serveConfig{bin: disputesBinary(t), natsURL: natsURL, stream: stream, subjectPrefix: strings.ToLower(stream)}
	procs := s.startReady(t, cfg, "r1", "r2", "r3")
	load := startCommandLoad(s, 6, procs)
	stopped := false
	defer func() {
		if !stopped {
			load.finish()
		}
	}()
	load.waitAcks(t, 30, "load before the faults")

	// Fault 1: the scheduler's owner is SIGKILLed; a standby takes over
	// with a higher token, and the killed replica comes back as a standby.
	owner := schedulerOwner(t, procs)
	killedToken := owner.status(t, "scheduler").Token
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
	assert.Greater(t, heir.status(t, "scheduler").Token, killedToken, "a takeover raises the token")
	t.Logf("scheduler taken over by %s %s after SIGKILL of %s", heir.name, time.Since(killedAt).Round(10*time.Millisecond), owner.name)
	back := s.startReady(t, cfg, owner.name+"b")[0]
	all := append(rest, back)
	load.setLive(all)
	load.waitAcks(t, 30, "load after the takeover")

	// Fault 2: every PostgreSQL connection of the replicas is terminated.
	admin, err := pgx.Connect(ctx, pg.URL())
	require.NoError(t, err)
	assert.Positive(t, terminateBackends(t, admin, s.app))
	_ = admin.Close(ctx)
	load.waitAcks(t, 30, "load after the connections were terminated")
	for _, p := range all {
		waitReadyProcess(t, p)
	}

	// Fault 3: PostgreSQL crashes and restarts under the load.
	restartAt := time.Now()
	require.NoError(t, pg.Restart(testenv.Immediate))
	t.Logf("PostgreSQL restarted (immediate) in %s", time.Since(restartAt).Round(10*time.Millisecond))
	load.waitAcks(t, 30, "load after the restart")
	for _, p := range all {
		waitReadyProcess(t, p)
	}
	t.Logf("every replica ready %s after the restart began", time.Since(restartAt).Round(10*time.Millisecond))
	load.finish()
	stopped = true

	// What the clients saw: a retryable 503 or an acknowledgement, nothing
	// else, and every command acknowledged in the end.
	assert.Empty(t, load.bad, "answers a client cannot act on")
	assert.Empty(t, load.gaveUp, "commands never acknowledged")
	t.Logf("%d tickets and %d messages acknowledged; 503s by code: %v", len(load.tickets), len(load.messages), load.unavailable)

	// Every job settles with one owner, the other replicas standing by.
	for _, job := range backgroundJobs {
		settleOneOwner(t, all, job)
	}

	admin, err = pgx.Connect(ctx, pg.URL())
	require.NoError(t, err)
	defer admin.Close(ctx)
	store, err := storeurl.OpenReadOnly(ctx, s.storeURL)
	require.NoError(t, err)
	defer store.Close()

	// The projector caught up with everything written through the faults.
	head := uint64(len(readLog(t, store)))
	projected := assert.Eventually(t, func() bool { return projectorPosition(t, admin, s) >= head }, 15*time.Second, 100*time.Millisecond)
	if !projected {
		t.Logf("the server's sessions: %s", sessions(t, admin))
		for _, p := range all {
			t.Logf("%s: projector %+v\n%s", p.name, p.status(t, "projector"), p.logTail())
		}
		for _, p := range all {
			t.Logf("%s: %s", p.name, p.stuckIn(t, "/projections.", "/eventstore/"))
		}
		var count, top int64
		require.NoError(t, admin.QueryRow(ctx, `SELECT count(*), coalesce(max(position), 0) FROM `+pgx.Identifier{mustSchema(t, s.storeURL), "eventstore_events"}.Sanitize()).Scan(&count, &top))
		t.Fatalf("the projector is stuck: %v of %d (table: %d rows, max %d; now read %d)", checkpoints(t, admin, s), head, count, top, len(readLog(t, store)))
	}

	// JetStream holds each event of the log once.
	waitForwardedOnce(t, natsURL, stream, store)

	// Every deadline due by the time the pre-restart tickets' first
	// deadlines have all come (7.2 s after their opening, and a slack for
	// the scheduler's poll) is recorded.
	const slack = 3 * time.Second
	if wait := time.Until(restartAt.Add(72*time.Hour/multiSpeed + slack)); wait > 0 {
		time.Sleep(wait) // the ledger's deadlines, not a guess: nothing to poll for before they fall due
	}
	var log []events.Envelope
	dueBy := func() time.Time { return nowOnLedger(t, admin, s).Add(-slack * multiSpeed) }
	fired := assert.Eventually(t, func() bool {
		log = readLog(t, store)
		return len(overdue(log, dueBy())) == 0
	}, 15*time.Second, 200*time.Millisecond)
	require.True(t, fired, "deadlines left overdue: %v", overdue(log, dueBy()))
	checkEachCommandOnce(t, log, load)
	checkExpiries(t, log)
	checkTimeNeverGoesBack(t, log)

	// One seal series; then, with the replicas stopped (the log stops
	// growing) and the last events projected, verify checks every seal
	// against the log and rebuilds the read models to compare them.
	checkOneSealSeries(t, admin, mustSchema(t, s.storeURL))
	stopAll(all)
	code, _, perr := runCLI(t, "", "project", "--store", s.storeURL, "--projections", s.readURL, "--db", filepath.Join(s.dir, "project.db"))
	require.Equal(t, 0, code, perr)
	code, vout, verr := runCLI(t, "", "verify", "--read-models", "--public-key", filepath.Join(s.dir, "seal.pub.pem"),
		"--store", s.storeURL, "--projections", s.readURL)
	assert.Equal(t, 0, code, "verify --read-models: %s %s", vout, verr)
	t.Logf("whole test %s", time.Since(began).Round(100*time.Millisecond))
}

// settleOneOwner waits until one of ps runs job and the others stand by.
func settleOneOwner(t *testing.T, ps []*serveProcess, job string) {
	t.Helper()
	var states []string
	settled := assert.Eventually(t, func() bool {
		owners, standbys := 0, 0
		states = nil
		for _, p := range ps {
			st := p.status(t, job)
			states = append(states, fmt.Sprintf("%s: %s token %d %s", p.name, st.State, st.Token, st.LastError))
			switch st.State {
			case supervise.OK:
				owners++
			case supervise.Standby:
				standbys++
			}
		}
		return owners == 1 && standbys == len(ps)-1
	}, 15*time.Second, 100*time.Millisecond)
	require.True(t, settled, "%s: one owner, the others standing by: %v", job, states)
}

// projectorPosition is the lowest checkpoint of the shared read models.
func projectorPosition(t *testing.T, admin *pgx.Conn, s *replicaSetup) uint64 {
	t.Helper()
	low, first := uint64(0), true
	for _, pos := range checkpoints(t, admin, s) {
		if first || pos < low {
			low, first = pos, false
		}
	}
	return low
}

// checkpoints reads each projection's checkpoint in the shared read models.
func checkpoints(t *testing.T, admin *pgx.Conn, s *replicaSetup) map[string]uint64 {
	t.Helper()
	rows, err := admin.Query(context.Background(), `SELECT projection, position FROM `+
		pgx.Identifier{mustSchema(t, s.readURL), "rm_checkpoints"}.Sanitize())
	require.NoError(t, err)
	out := map[string]uint64{}
	for rows.Next() {
		var name string
		var pos int64
		require.NoError(t, rows.Scan(&name, &pos))
		out[name] = uint64(pos)
	}
	require.NoError(t, rows.Err())
	return out
}

// checkEachCommandOnce: each acknowledged ticket is opened (its stream's
// first event) and each acknowledged message is posted exactly once.
func checkEachCommandOnce(t *testing.T, log []events.Envelope, load *commandLoad) {
	t.Helper()
	opened, posted := map[string]int{}, map[string]int{}
	for _, e := range log {
		if e.Revision == 0 {
			opened[strings.TrimPrefix(e.Stream, events.StreamPrefix)]++
		}
		if p, ok := e.Payload.(events.MessagePosted); ok {
			posted[p.Text]++
		}
	}
	for id := range load.tickets {
		assert.Equal(t, 1, opened[id], "acknowledged ticket %s opened %d times", id, opened[id])
	}
	for text := range load.messages {
		assert.Equal(t, 1, posted[text], "acknowledged message %q posted %d times", text, posted[text])
	}
	for text, n := range posted {
		assert.LessOrEqual(t, n, 1, "message %q posted %d times", text, n)
	}
}

// checkExpiries: each deadline expires once, not before it is due and at
// most lateReal (real time) after.
func checkExpiries(t *testing.T, log []events.Envelope) {
	t.Helper()
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
		seen[expiry{e.Stream, x.Deadline, x.DueAt.UTC()}]++
		late := time.Duration(float64(e.OccurredAt.Sub(x.DueAt)) / multiSpeed)
		latest = max(latest, late)
		assert.False(t, e.OccurredAt.Before(x.DueAt), "%s %s recorded at %s, before it was due at %s", e.Stream, x.Deadline, e.OccurredAt, x.DueAt)
		assert.LessOrEqual(t, late, lateReal, "%s %s recorded %s (real) after it was due", e.Stream, x.Deadline, late)
	}
	require.NotEmpty(t, seen, "no deadline expired during the test")
	for k, n := range seen {
		assert.Equal(t, 1, n, "%s %s due %s recorded %d times", k.stream, k.kind, k.due, n)
	}
	t.Logf("%d expiries, the latest %s (real) after due", len(seen), latest.Round(time.Millisecond))
}

// checkTimeNeverGoesBack: in each stream an event is never dated before
// its predecessor.
func checkTimeNeverGoesBack(t *testing.T, log []events.Envelope) {
	t.Helper()
	last := map[string]time.Time{}
	for _, e := range log {
		if prev, ok := last[e.Stream]; ok {
			assert.False(t, e.OccurredAt.Before(prev), "%s revision %d dated %s, before its predecessor's %s", e.Stream, e.Revision, e.OccurredAt, prev)
		}
		last[e.Stream] = e.OccurredAt
	}
}

// checkOneSealSeries: sizes and seal times grow together (two sealers
// would interleave their times), and there is at least one seal.
func checkOneSealSeries(t *testing.T, admin *pgx.Conn, schema string) {
	t.Helper()
	rows, err := admin.Query(context.Background(), `SELECT size, sealed_at FROM `+pgx.Identifier{schema, "audit_seals"}.Sanitize()+` ORDER BY size`)
	require.NoError(t, err)
	defer rows.Close()
	var prev time.Time
	n := 0
	for rows.Next() {
		var size int64
		var at string
		require.NoError(t, rows.Scan(&size, &at))
		sealedAt, err := time.Parse(time.RFC3339Nano, at)
		require.NoError(t, err)
		assert.False(t, sealedAt.Before(prev), "seal of size %d sealed at %s, before the smaller seal's %s: two series", size, sealedAt, prev)
		prev = sealedAt
		n++
	}
	require.NoError(t, rows.Err())
	assert.Positive(t, n, "no seal")
}

// waitForwardedOnce waits until the JetStream stream holds as many
// messages as the log has events (the forwarder deduplicates by event id,
// so a message too many is an event sent twice), then deletes the stream.
func waitForwardedOnce(t *testing.T, natsURL, stream string, store eventstore.Store) {
	t.Helper()
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
}

// waitExpiries waits until the ledger holds at least n recorded expiries.
func waitExpiries(t *testing.T, admin *pgx.Conn, s *replicaSetup, n int) {
	t.Helper()
	var got int
	ok := assert.Eventually(t, func() bool {
		err := admin.QueryRow(context.Background(), `SELECT count(*) FROM `+pgx.Identifier{mustSchema(t, s.storeURL), "eventstore_events"}.Sanitize()+
			` WHERE type = $1`, events.TypeDeadlineExpired).Scan(&got)
		return err == nil && got >= n
	}, 30*time.Second, 100*time.Millisecond)
	require.True(t, ok, "%d of %d expiries recorded", got, n)
}

// sessions lists the server's client sessions: what each runs or waits
// for, and which sessions block it.
func sessions(t *testing.T, admin *pgx.Conn) string {
	t.Helper()
	rows, err := admin.Query(context.Background(), `SELECT pid, application_name, state, coalesce(wait_event_type, ''), coalesce(wait_event, ''),
		pg_blocking_pids(pid)::text, coalesce(now() - xact_start, '0')::text, left(query, 120)
		FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() ORDER BY xact_start NULLS LAST`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var pid int
		var app, state, waitType, wait, blockers, age, query string
		if err := rows.Scan(&pid, &app, &state, &waitType, &wait, &blockers, &age, &query); err != nil {
			return err.Error()
		}
		out = append(out, fmt.Sprintf("%d %s %s wait=%s/%s blocked_by=%s xact_age=%s: %s", pid, app, state, waitType, wait, blockers, age, query))
	}
	return "\n" + strings.Join(out, "\n")
}
