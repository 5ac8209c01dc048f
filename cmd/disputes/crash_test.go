package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// The crash test's knobs: how many SIGKILLs, and the seed of their timing.
const (
	crashKillsEnv = "DISPUTES_CRASH_KILLS"
	crashSeedEnv  = "DISPUTES_CRASH_SEED"
)

// crashLoad is the commands sent to one ledger across its restarts: what
// was acknowledged (201) and how many events the answer carried.
type crashLoad struct {
	buyer string
	mu    sync.Mutex
	acked map[string]int // command id → events in its first answer
	sent  map[string]bool
	fails []string
	// replayed counts retries answered as replays: recorded before the
	// kill, unacknowledged, then answered from the log after the restart.
	replayed int
}

// crashCommand is one open_ticket command; a worker keeps it until it is
// acknowledged and retries it, same Idempotency-Key, after a restart.
type crashCommand struct{ ticket, key string }

// post sends c; errNotAnswered means the server went away (retry later).
var errNotAnswered = errors.New("not answered")

func (l *crashLoad) post(ctx context.Context, client *http.Client, base string, c crashCommand) error {
	body := `{"data":{"order_id":"O-` + c.ticket + `","merchant_id":"m-1","kind":"refund_only","reason":"quality","currency":"CNY","amount_paid":5000,"requested":5000,"order_shipped":true}}`
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/tickets/"+c.ticket+"/commands/open_ticket", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+l.buyer)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", c.key)
	l.mu.Lock()
	l.sent[c.key] = true
	l.mu.Unlock()
	res, err := client.Do(req)
	if err != nil {
		return errNotAnswered
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusServiceUnavailable {
		return errNotAnswered
	}
	var answer struct {
		CommandID string            `json:"command_id"`
		Events    []json.RawMessage `json:"events"`
	}
	if err := json.NewDecoder(res.Body).Decode(&answer); err != nil {
		return errNotAnswered // cut mid-answer by the kill: not acknowledged
	}
	if res.StatusCode != http.StatusCreated {
		return fmt.Errorf("%s: status %d", c.key, res.StatusCode)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if n, ok := l.acked[c.key]; ok && n != len(answer.Events) {
		return fmt.Errorf("%s: answered with %d events, then %d", c.key, n, len(answer.Events))
	}
	if res.Header.Get("Idempotent-Replayed") == "true" && l.acked[c.key] == 0 && len(answer.Events) == 0 {
		return fmt.Errorf("%s: replayed with no events", c.key)
	}
	if _, ok := l.acked[c.key]; !ok && res.Header.Get("Idempotent-Replayed") == "true" {
		l.replayed++
	}
	l.acked[c.key] = len(answer.Events)
	return nil
}

// work sends commands until the server stops answering; the command in
// hand is kept in *pending for the next run.
func (l *crashLoad) work(ctx context.Context, base string, worker int, next *int, pending **crashCommand) {
	client := &http.Client{Timeout: 10 * time.Second}
	for ctx.Err() == nil {
		if *pending == nil {
			*next++
			id := fmt.Sprintf("T-%d-%d", worker, *next)
			*pending = &crashCommand{ticket: id, key: "open-" + id}
		}
		err := l.post(ctx, client, base, **pending)
		switch {
		case errors.Is(err, errNotAnswered):
			if ctx.Err() != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		case err != nil:
			l.mu.Lock()
			l.fails = append(l.fails, err.Error())
			l.mu.Unlock()
			*pending = nil
		default:
			*pending = nil
		}
	}
}

// TestServeSurvivesSIGKILLUnderLoad runs `serve` (SQLite ledger, sealing)
// as a process under concurrent HTTP load, SIGKILLs it at seeded random
// moments and restarts it on the same file. Unanswered commands are retried
// with their Idempotency-Key. At the end every acknowledged command is in
// the log exactly once with the events it was answered with, nothing else
// is, `verify` passes and the read models equal a rebuild.
// DISPUTES_CRASH_KILLS sets the number of kills (`make crash`),
// DISPUTES_CRASH_SEED replays a run's kill schedule.
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
	t.Logf("crash test: %d kills, seed %d (%s=%d replays the kill schedule)", kills, seed, crashSeedEnv, seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	dir := t.TempDir()
	db := filepath.Join(dir, "ledger.db")
	load := &crashLoad{buyer: addToken(t, filepath.Join(dir, "tokens.json"), "buyer", "b-1"),
		acked: map[string]int{}, sent: map[string]bool{}}
	key, pub := filepath.Join(dir, "seal.pem"), filepath.Join(dir, "seal.pub.pem")
	code, _, errOut := runCLI(t, "", "keys", "--generate", key, "--out", pub)
	require.Equal(t, 0, code, errOut)

	const workers = 8
	next, pending := make([]int, workers), make([]*crashCommand, workers)
	for round := 0; round <= kills; round++ {
		addr, logs, exited, cmd := startServeProcess(t, dir, "--key", key, "--seal-every", "50", "--seal-interval", "100ms")
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() { load.work(ctx, "http://"+addr, w, &next[w], &pending[w]) })
		}
		if round < kills {
			time.Sleep(time.Duration(20+rng.IntN(600)) * time.Millisecond)
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			<-exited
			cancel()
			wg.Wait()
			continue
		}
		// The last run: let the load go on a while, then stop it and
		// finish every command still unacknowledged, then stop serve.
		time.Sleep(300 * time.Millisecond)
		cancel()
		wg.Wait()
		client := &http.Client{Timeout: 10 * time.Second}
		for w, c := range pending {
			if c != nil {
				require.NoError(t, load.post(context.Background(), client, "http://"+addr, *c), "worker %d", w)
			}
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		select {
		case err := <-exited:
			require.NoError(t, err, logs.String())
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop")
		}
	}
	require.Empty(t, load.fails, "commands refused during the run")
	require.Len(t, load.acked, len(load.sent), "every command sent is acknowledged in the end")

	// Every acknowledged command is in the log once: its events, on its
	// ticket, in one run of revisions; and nothing else is.
	type logged struct {
		stream         string
		revs           []uint64
		first, entries int
	}
	ro, err := sqlite.OpenReadOnlyDB(context.Background(), db)
	require.NoError(t, err)
	rows, err := ro.Query(`SELECT stream, revision, data FROM events ORDER BY position`)
	require.NoError(t, err)
	inLog := map[string]*logged{}
	total := 0
	for rows.Next() {
		var stream string
		var rev uint64
		var data []byte
		require.NoError(t, rows.Scan(&stream, &rev, &data))
		var env struct {
			CommandID string `json:"command_id"`
		}
		require.NoError(t, json.Unmarshal(data, &env), string(data))
		l := inLog[env.CommandID]
		if l == nil {
			l = &logged{stream: stream}
			inLog[env.CommandID] = l
		}
		assert.Equal(t, l.stream, stream, "command %s wrote to two tickets", env.CommandID)
		l.revs = append(l.revs, rev)
		total++
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	require.NoError(t, ro.Close())
	for id, n := range load.acked {
		l := inLog[id]
		if !assert.NotNil(t, l, "acknowledged command %s is not in the log", id) {
			continue
		}
		assert.Len(t, l.revs, n, "command %s: events in the log against its answer", id)
		for i := range l.revs {
			assert.Equal(t, l.revs[0]+uint64(i), l.revs[i], "command %s: revisions %v not one append", id, l.revs)
		}
		assert.Equal(t, "ticket-"+strings.TrimPrefix(id, "open-"), l.stream)
	}
	for id := range inLog {
		_, ok := load.acked[id]
		assert.True(t, ok, "the log holds command %q that was never acknowledged", id)
	}
	t.Logf("%d commands acknowledged (%d of them first on a retry after a kill, as replays), %d events, over %d kills (seed %d)",
		len(load.acked), load.replayed, total, kills, seed)
	require.NotEmpty(t, load.acked)

	// The read models resume from where the kills left them; brought up to
	// the log's end, they must equal a rebuild from zero.
	code, out, errOut := runCLI(t, "", "project", "--db", db)
	require.Equal(t, 0, code, errOut)
	code, out, errOut = runCLI(t, "", "verify", "--db", db, "--public-key", pub, "--read-models")
	require.Equal(t, 0, code, "seed %d: %s%s", seed, out, errOut)
	assert.Contains(t, out, "Read models (rebuilt from the log and compared):")
}
