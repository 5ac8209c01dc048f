package backendtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/google/uuid"
)

// BenchData is random bytes of a typical encoded envelope's size, the Data
// of the benchmarks' events.
var BenchData = func() []byte {
	b := make([]byte, 300)
	_, _ = rand.Read(b)
	return b
}()

// BenchEvent returns an event as the benchmarks append it: a UUID v7 ID,
// as the write path assigns, and BenchData.
func BenchEvent(rev uint64) eventstore.EventData {
	return eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "bench.appended", Revision: rev, Data: BenchData}
}

// Fill appends perAppend-event batches to streams streams, rounds times each,
// from 64 goroutines, as interleaved live traffic would.
func Fill(s eventstore.Store, streams, rounds, perAppend int) error {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, streams)
	sem := make(chan struct{}, 64)
	for i := range streams {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			stream := fmt.Sprintf("stream-%d", i)
			for r := range uint64(rounds) {
				evs := make([]eventstore.EventData, perAppend)
				for j := range evs {
					evs[j] = BenchEvent(r*uint64(perAppend) + uint64(j))
				}
				if _, err := s.Append(ctx, stream, ExpectAfter(r*uint64(perAppend)), evs); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
