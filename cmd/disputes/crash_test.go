package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// The crash test's knobs: how many SIGKILLs, and the seed of their timing
// and of the parties' choices.
const (
	crashKillsEnv = "DISPUTES_CRASH_KILLS"
	crashSeedEnv  = "DISPUTES_CRASH_SEED"
)

const (
	crashWorkers      = 6 // client goroutines
	crashSlots        = 3 // tickets each carries at once
	crashDeepEvery    = 5 // kills between checks of verify and the read models
	crashReplaysAfter = 6 // acknowledged commands sent again after each restart
)

// crashLedgerStart is when the ledger's clock starts: a Monday at 10:00 in
// the policy's time zone, so the working-hours evidence window runs.
var crashLedgerStart = time.Date(2026, 11, 2, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// TestServeSurvivesSIGKILLUnderLoad runs `serve` (SQLite ledger, sealing,
// scheduler on, a policy whose deadlines last seconds) as a process under
// concurrent HTTP load — parties carrying many tickets through their
// lifecycles, deadlines expiring — SIGKILLs it at seeded random moments
// and restarts it on the same file, its clock running on. Unanswered
// commands are sent again with their Idempotency-Key.
//
// After each kill the log is held against what the clients were told:
// every acknowledged command is in it exactly once with the events it was
// answered with, no refused command wrote anything, no deadline expired
// twice. After each restart some acknowledged commands are sent again and
// must be answered as replays, with the same events. Every few kills, a
// copy of the killed ledger passes `verify` (with the seals made so far)
// and its read models, brought to the head, equal a rebuild. At the end,
// after a clean SIGTERM, the same holds of the ledger itself — its read
// models current without a `project` (serve drains them).
// DISPUTES_CRASH_KILLS sets the number of kills (`make crash`),
// DISPUTES_CRASH_SEED replays a run's kill schedule and choices.
func TestServeSurvivesSIGKILLUnderLoad(t *testing.T) {
	t.Parallel()
	kills := 20
	if v := os.Getenv(crashKillsEnv); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, crashKillsEnv)
		kills = n
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(crashSeedEnv); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, crashSeedEnv)
		seed = n
	}
	t.Logf("crash test: %d kills, seed %d (%s=%d replays the kill schedule and the parties' choices)", kills, seed, crashSeedEnv, seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	dir := t.TempDir()
	db := filepath.Join(dir, "ledger.db")
	cast := newCrashCastFiles(t, dir)
	pol := writeShortPolicy(t, dir)
	key, pub := filepath.Join(dir, "seal.pem"), filepath.Join(dir, "seal.pub.pem")
	code, _, errOut := runCLI(t, "", "keys", "--generate", key, "--out", pub)
	require.Equal(t, 0, code, errOut)

	clk := crashClock{ledgerStart: crashLedgerStart, wallStart: time.Now()}
	rec, ledgerLog := newCrashRecord(), newCrashLog(db)
	workers := make([]*crashWorker, crashWorkers)
	for i := range workers {
		workers[i] = newCrashWorker(i, seed, crashSlots)
	}
	var starting, checking time.Duration // wall time spent starting serve and checking, for the log
	start := func() (string, fmtStringer, <-chan error, interface{ Signal(os.Signal) error }) {
		defer func(began time.Time) { starting += time.Since(began) }(time.Now())
		addr, logs, exited, cmd := startServeProcessWith(t, dir, "--key", key, "--seal-every", "50", "--seal-interval", "100ms",
			"--policy", pol, "--clock-start", clk.now().Format(time.RFC3339Nano))
		return "http://" + addr, logs, exited, cmd.Process
	}
	for round := 0; round <= kills; round++ {
		base, logs, exited, proc := start()
		if round > 0 {
			replayAcknowledged(t, rec, base, cast, rng)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, w := range workers {
			wg.Go(func() { w.run(ctx, base, cast, clk, rec) })
		}
		if round < kills {
			time.Sleep(time.Duration(100+rng.IntN(900)) * time.Millisecond)
			require.NoError(t, proc.Signal(syscall.SIGKILL))
			<-exited
			cancel()
			wg.Wait()
			began := time.Now()
			problems, err := ledgerLog.read(context.Background())
			require.NoError(t, err)
			problems = append(problems, ledgerLog.check(rec, false)...)
			require.Empty(t, problems, "after kill %d (seed %d)", round+1, seed)
			if (round+1)%crashDeepEvery == 0 {
				checkKilledLedger(t, dir, pol, pub, seed)
			}
			checking += time.Since(began)
			continue
		}
		// The last run: let the load go on a while, stop it, settle every
		// command still unanswered, then stop serve cleanly.
		time.Sleep(500 * time.Millisecond)
		cancel()
		wg.Wait()
		client := &http.Client{Timeout: 10 * time.Second}
		for _, w := range workers {
			for _, s := range w.slots {
				if s.pending == nil {
					continue
				}
				settled := assert.Eventually(t, func() bool {
					_, err := rec.post(context.Background(), client, base, cast, *s.pending)
					return !errors.Is(err, errNotAnswered)
				}, 10*time.Second, 20*time.Millisecond, "command %s is answered", s.pending.key)
				require.True(t, settled)
			}
		}
		require.NoError(t, proc.Signal(syscall.SIGTERM))
		select {
		case err := <-exited:
			require.NoError(t, err, logs.String())
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop")
		}
	}
	require.Empty(t, rec.fails, "answers the parties did not expect (seed %d)", seed)
	problems, err := ledgerLog.read(context.Background())
	require.NoError(t, err)
	problems = append(problems, ledgerLog.check(rec, true)...)
	require.Empty(t, problems, "at the end (seed %d)", seed)

	// Stopped cleanly, serve left its read models at the head of the log:
	// they equal a rebuild as they are, and the seals of the run verify.
	code, out, errOut := runCLI(t, "", "verify", "--db", db, "--policy", pol, "--public-key", pub, "--read-models")
	require.Equal(t, 0, code, "seed %d: %s%s", seed, out, errOut)
	assert.Contains(t, out, "Read models (rebuilt from the log and compared):")

	// The load did what it is for: lifecycles well beyond opening, and
	// deadlines expired by the scheduler between and across the kills.
	names := make([]string, 0, len(rec.byName))
	for n := range rec.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	t.Logf("%s starting serve, %s checking between runs", starting.Round(time.Millisecond), checking.Round(time.Millisecond))
	t.Logf("%d commands acknowledged (%d first on a retry after a kill, as replays), %d refused by the rules, %d events, %d deadlines expired, over %d kills (seed %d); acknowledged by command: %v",
		len(rec.acked), rec.replayed, len(rec.refused), ledgerLog.events, ledgerLog.types[events.TypeDeadlineExpired], kills, seed, rec.byName)
	assert.GreaterOrEqual(t, len(names), 12, "commands of the lifecycle acknowledged: %v", names)
	assert.Positive(t, ledgerLog.types[events.TypeDeadlineExpired], "deadlines expired during the run")
	assert.Positive(t, ledgerLog.types[events.TypeRulingRecorded], "rulings")
}

type fmtStringer interface{ String() string }

// newCrashCastFiles makes the crash test's parties and their tokens.
func newCrashCastFiles(t *testing.T, dir string) *crashCast {
	t.Helper()
	tokens := filepath.Join(dir, "tokens.json")
	c := &crashCast{byActor: map[events.Actor]crashParty{}, deliveredAt: crashLedgerStart.Add(-48 * time.Hour)}
	add := func(role events.Role, id string) crashParty {
		p := crashParty{actor: events.Actor{Role: role, ID: id}, token: addToken(t, tokens, string(role), id)}
		c.byActor[p.actor] = p
		return p
	}
	for _, id := range []string{"b-1", "b-2", "b-3", "b-4", "b-5"} {
		c.buyers = append(c.buyers, add(events.RoleBuyer, id))
	}
	for _, id := range []string{"m-1", "m-2", "m-3"} {
		c.merchants = append(c.merchants, add(events.RoleMerchant, id))
	}
	c.arbitrators = []crashParty{add(events.RoleArbitrator, "arb-1"), add(events.RoleArbitrator, "arb-2")}
	c.agent, c.senior = add(events.RoleAgent, "ag-1"), add(events.RoleSeniorArbitrator, "sa-1")
	return c
}

// writeShortPolicy writes the default policy with every deadline a few
// seconds long, so that deadlines fall due during the run and across its
// kills.
func writeShortPolicy(t *testing.T, dir string) string {
	t.Helper()
	raw, err := json.Marshal(policy.Default())
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	windows := doc["windows"].(map[string]any)
	for name := range windows {
		windows[name] = "2s"
	}
	windows["evidence"] = "1s" // in working time
	doc["version"] = "crash-test-short-deadlines"
	out, err := json.MarshalIndent(doc, "", "  ")
	require.NoError(t, err)
	path := filepath.Join(dir, "policy.json")
	require.NoError(t, os.WriteFile(path, out, 0o600))
	_, err = policy.Parse(out)
	require.NoError(t, err)
	return path
}

// replayAcknowledged sends some acknowledged commands again, same key and
// body: each must be answered as a replay, with the events of its first
// answer (crashRecord.post holds them to it).
func replayAcknowledged(t *testing.T, rec *crashRecord, base string, cast *crashCast, rng *rand.Rand) {
	t.Helper()
	rec.mu.Lock()
	keys := make([]string, 0, len(rec.acked))
	for k := range rec.acked {
		keys = append(keys, k)
	}
	rec.mu.Unlock()
	slices.Sort(keys)
	client := &http.Client{Timeout: 10 * time.Second}
	for i := 0; i < crashReplaysAfter && len(keys) > 0; i++ {
		k := keys[rng.IntN(len(keys))]
		rec.mu.Lock()
		c := rec.sent[k]
		rec.mu.Unlock()
		a, err := rec.post(context.Background(), client, base, cast, c)
		require.NoError(t, err, "replay of %s", k)
		assert.True(t, a.replayed, "replay of %s answered as a replay", k)
	}
}

// checkKilledLedger copies the ledger as a kill left it and checks the
// copy: `verify` passes with the seals made so far, and the read models,
// brought from where the kill left them to the head of the log, equal a
// rebuild.
func checkKilledLedger(t *testing.T, dir, pol, pub string, seed uint64) {
	t.Helper()
	copyDir := t.TempDir()
	for _, suffix := range []string{"", "-wal"} {
		from, err := os.Open(filepath.Join(dir, "ledger.db"+suffix))
		if errors.Is(err, os.ErrNotExist) && suffix != "" {
			continue
		}
		require.NoError(t, err)
		to, err := os.Create(filepath.Join(copyDir, "ledger.db"+suffix))
		require.NoError(t, err)
		_, err = io.Copy(to, from)
		require.NoError(t, err)
		require.NoError(t, to.Close())
		require.NoError(t, from.Close())
	}
	db := filepath.Join(copyDir, "ledger.db")
	code, out, errOut := runCLI(t, "", "project", "--db", db, "--policy", pol)
	require.Equal(t, 0, code, "seed %d: %s%s", seed, out, errOut)
	code, out, errOut = runCLI(t, "", "verify", "--db", db, "--policy", pol, "--public-key", pub, "--read-models")
	require.Equal(t, 0, code, "seed %d: %s%s", seed, out, errOut)
}
