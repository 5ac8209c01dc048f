package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// commandLoad is concurrent HTTP load on a set of replicas, as clients
// that follow the API's contract would send it: each writer opens a ticket
// and posts a message on it, and retries each command with the same
// Idempotency-Key, on any live replica, until it is acknowledged (2xx).
// It records what was acknowledged and every answer a client could not act
// on: a 5xx other than 503, a 503 without Retry-After or without the code
// outcome_unknown or unavailable, any 4xx.
type commandLoad struct {
	s    *replicaSetup
	live atomic.Pointer[[]*serveProcess]
	stop chan struct{}
	wg   sync.WaitGroup
	seq  atomic.Int64
	// giveUp bounds the retries of one command: a ledger that has not
	// healed by then has failed the test.
	giveUp time.Duration

	mu          sync.Mutex
	tickets     map[string]bool // acknowledged open_ticket, by ticket id
	messages    map[string]bool // acknowledged post_message, by text
	unavailable map[string]int  // 503s, by problem code
	bad         []string        // answers a client cannot act on
	gaveUp      []string
}

func startCommandLoad(s *replicaSetup, writers int, procs []*serveProcess) *commandLoad {
	l := &commandLoad{s: s, stop: make(chan struct{}), giveUp: 30 * time.Second,
		tickets: map[string]bool{}, messages: map[string]bool{}, unavailable: map[string]int{}}
	l.setLive(procs)
	for w := range writers {
		l.wg.Add(1)
		go l.write(w)
	}
	return l
}

// setLive changes the replicas the writers send to.
func (l *commandLoad) setLive(procs []*serveProcess) {
	ps := append([]*serveProcess(nil), procs...)
	l.live.Store(&ps)
}

// finish stops the writers and waits for their last commands to settle.
func (l *commandLoad) finish() {
	close(l.stop)
	l.wg.Wait()
}

// acks counts the acknowledged commands so far.
func (l *commandLoad) acks() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.tickets) + len(l.messages)
}

// waitAcks waits until n more commands than now are acknowledged: the
// load's own progress paces the faults, not a fixed sleep.
func (l *commandLoad) waitAcks(t *testing.T, n int, what string) {
	t.Helper()
	want := l.acks() + n
	require.Eventually(t, func() bool { return l.acks() >= want }, 30*time.Second, 20*time.Millisecond,
		"%s: %d of %d commands acknowledged; unavailable answers %v; bad answers %v", what, l.acks(), want, l.unavailableCounts(), l.badAnswers())
}

func (l *commandLoad) unavailableCounts() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for k, v := range l.unavailable {
		out[k] = v
	}
	return out
}

func (l *commandLoad) badAnswers() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.bad...)
}

func (l *commandLoad) write(w int) {
	defer l.wg.Done()
	for {
		select {
		case <-l.stop:
			return
		default:
		}
		id := fmt.Sprintf("L-%d-%d", w, l.seq.Add(1))
		open := `{"data":{"order_id":"O-` + id + `","merchant_id":"m-1","kind":"refund_only","reason":"quality","currency":"CNY","amount_paid":5000,"requested":5000,"order_shipped":true}}`
		if !l.send(id, "open_ticket", open, "open-"+id) {
			continue
		}
		l.mu.Lock()
		l.tickets[id] = true
		l.mu.Unlock()
		text := "message of " + id
		if l.send(id, "post_message", `{"data":{"text":"`+text+`"}}`, "msg-"+id) {
			l.mu.Lock()
			l.messages[text] = true
			l.mu.Unlock()
		}
	}
}

// send retries one command with one key until it is acknowledged (true),
// answered in a way no retry can change, or the retries run out (false).
func (l *commandLoad) send(ticket, command, body, key string) bool {
	client := http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(l.giveUp)
	for time.Now().Before(deadline) {
		ps := *l.live.Load()
		p := ps[rand.IntN(len(ps))]
		req, err := http.NewRequest("POST", p.base+"/v1/tickets/"+ticket+"/commands/"+command, strings.NewReader(body))
		if err != nil {
			panic(err) // the test's own URL
		}
		req.Header.Set("Authorization", "Bearer "+l.s.buyer)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		res, err := client.Do(req)
		if err != nil { // a killed replica, a timeout: the outcome is unknown, retry
			time.Sleep(20 * time.Millisecond)
			continue
		}
		answer, _ := io.ReadAll(res.Body)
		res.Body.Close()
		switch {
		case res.StatusCode/100 == 2:
			return true
		case res.StatusCode == http.StatusServiceUnavailable:
			var problem struct{ Code string }
			_ = json.Unmarshal(answer, &problem)
			l.mu.Lock()
			l.unavailable[problem.Code]++
			if (problem.Code != "outcome_unknown" && problem.Code != "unavailable") || res.Header.Get("Retry-After") == "" {
				l.bad = append(l.bad, fmt.Sprintf("%s %s on %s: 503 without a retryable code or Retry-After (%q): %s",
					command, ticket, p.name, res.Header.Get("Retry-After"), answer))
			}
			l.mu.Unlock()
			// A client waits Retry-After; this one waits less, to keep the
			// load on while the store is away.
			time.Sleep(50 * time.Millisecond)
		default:
			l.mu.Lock()
			l.bad = append(l.bad, fmt.Sprintf("%s %s on %s: %d %s", command, ticket, p.name, res.StatusCode, answer))
			l.mu.Unlock()
			return false
		}
	}
	l.mu.Lock()
	l.gaveUp = append(l.gaveUp, command+" "+ticket)
	l.mu.Unlock()
	return false
}
