package backendtest

import (
	"crypto/rand"

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
