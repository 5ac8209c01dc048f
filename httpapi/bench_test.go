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

// The load benchmarks open one ticket per operation (one durable append to
// a new stream) from 1, 16 and 64 concurrent clients, over loopback HTTP
// with keep-alive connections, against a real SQLite ledger. The baseline,
// in the same run, sends the same commands straight to commands.Handler:
// the difference is what HTTP, JSON, authentication, logging and metrics
// cost. Reproduce with
//
//	go test -run '^$' -bench 'Commands' -benchtime 4000x ./httpapi
var benchClients = []int{1, 16, 64}

func BenchmarkHTTPCommands(b *testing.B) {
	for _, clients := range benchClients {
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
			runLoad(b, clients, func(i int) error {
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
			})
		})
	}
}

func BenchmarkDirectCommands(b *testing.B) {
	for _, clients := range benchClients {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			l := newLedger(b, options{})
			open := domain.OpenTicket{OrderID: "O-1", MerchantID: "m-1", Kind: events.KindRefundOnly, Reason: events.ReasonQuality,
				Currency: "CNY", AmountPaid: 5000, Requested: 5000, Description: "screen cracked", OrderShipped: true}
			buyer := events.Actor{Role: events.RoleBuyer, ID: "b-1"}
			runLoad(b, clients, func(i int) error {
				req := commands.Request{CommandID: fmt.Sprintf("c-%d", i), TicketID: fmt.Sprintf("D-%d", i), Actor: buyer, Command: "open_ticket"}
				_, err := l.handler.Handle(context.Background(), req, open)
				return err
			})
		})
	}
}

// runLoad runs b.N operations from clients goroutines and reports the
// throughput and the latency percentiles.
func runLoad(b *testing.B, clients int, op func(i int) error) {
	b.Helper()
	var (
		next  atomic.Int64
		mu    sync.Mutex
		lat   = make([]time.Duration, 0, b.N)
		first error
		wg    sync.WaitGroup
	)
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, b.N/clients+1)
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					break
				}
				t := time.Now()
				if err := op(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if first != nil {
		b.Fatal(first)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "cmds/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
