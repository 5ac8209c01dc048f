package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// BenchmarkHTTPCommands is the API's load test. Each operation opens a
// ticket (one durable append to a new stream), from 1, 16 and 64
// concurrent clients, over loopback HTTP with keep-alive connections,
// against a real SQLite ledger in a temporary directory. The baseline is
// the same commands sent straight to commands.Handler: the two take eight
// alternating turns on one ledger, so both see the same background load,
// and x_direct is the HTTP rate over the direct rate (what HTTP, JSON,
// authentication, the access log and the metrics leave of the handler's
// throughput). Reproduce with
//
//	go test -run '^$' -bench HTTPCommands -benchtime 4000x -count 3 ./httpapi
func BenchmarkHTTPCommands(b *testing.B) {
	for _, clients := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			l := newLedger(b, options{})
			tr := l.srv.Client().Transport.(*http.Transport).Clone()
			tr.MaxIdleConnsPerHost = clients
			hc := &http.Client{Transport: tr}
			token := l.tokens["buyer:b-1"]
			body, err := json.Marshal(map[string]any{"data": openData("m-1")})
			if err != nil {
				b.Fatal(err)
			}
			viaHTTP := func(i int) error {
				req, err := http.NewRequest("POST", fmt.Sprintf("%s/v1/tickets/H-%d/commands/open_ticket", l.srv.URL, i), bytes.NewReader(body))
				if err != nil {
					return err
				}
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", fmt.Sprintf("c-%d", i))
				res, err := hc.Do(req)
				if err != nil {
					return err
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusCreated {
					return fmt.Errorf("status %d", res.StatusCode)
				}
				return nil
			}
			open := domain.OpenTicket{OrderID: "O-1", MerchantID: "m-1", Kind: events.KindRefundOnly, Reason: events.ReasonQuality,
				Currency: "CNY", AmountPaid: 5000, Requested: 5000, Description: "screen cracked", OrderShipped: true}
			buyer := events.Actor{Role: events.RoleBuyer, ID: "b-1"}
			direct := func(i int) error {
				req := commands.Request{CommandID: fmt.Sprintf("c-%d", i), TicketID: fmt.Sprintf("D-%d", i), Actor: buyer, Command: "open_ticket"}
				_, err := l.handler.Handle(context.Background(), req, open)
				return err
			}

			const turns = 8
			var httpRun, directRun loadRun
			b.ResetTimer()
			for turn := range turns {
				from, to := b.N*turn/turns, b.N*(turn+1)/turns
				if err := httpRun.run(clients, from, to, viaHTTP); err != nil {
					b.Fatal(err)
				}
				if err := directRun.run(clients, from, to, direct); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(httpRun.rate(), "cmds/s")
			b.ReportMetric(httpRun.percentile(0.50), "p50-ms")
			b.ReportMetric(httpRun.percentile(0.99), "p99-ms")
			b.ReportMetric(directRun.rate(), "direct-cmds/s")
			b.ReportMetric(directRun.percentile(0.50), "direct-p50-ms")
			b.ReportMetric(httpRun.rate()/directRun.rate(), "x_direct")
		})
	}
}

// loadRun accumulates the latencies and the busy time of a load's turns.
type loadRun struct {
	lat  []time.Duration
	busy time.Duration
}

// run performs operations from..to-1 from clients goroutines.
func (r *loadRun) run(clients, from, to int, op func(i int) error) error {
	var (
		next  atomic.Int64
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	next.Store(int64(from))
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for {
				i := int(next.Add(1)) - 1
				if i >= to {
					break
				}
				t := time.Now()
				if err := op(i); err != nil {
					mu.Lock()
					first = cmpOr(first, err)
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			r.lat = append(r.lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.busy += time.Since(start)
	return first
}

func (r *loadRun) rate() float64 { return float64(len(r.lat)) / r.busy.Seconds() }

// percentile returns the p-th latency in milliseconds.
func (r *loadRun) percentile(p float64) float64 {
	if len(r.lat) == 0 {
		return 0
	}
	slices.Sort(r.lat)
	return float64(r.lat[int(p*float64(len(r.lat)-1))].Microseconds()) / 1000
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
