package httpapi

import (
	"context"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
)

// InstrumentStore returns store with the latency of every Append recorded
// in m. Give the command handler the returned store.
func InstrumentStore(store eventstore.Store, m *Metrics) eventstore.Store {
	return timedStore{Store: store, m: m}
}

type timedStore struct {
	eventstore.Store
	m *Metrics
}

// Append implements eventstore.Store.
func (s timedStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, evs []eventstore.EventData) (eventstore.AppendResult, error) {
	start := time.Now()
	res, err := s.Store.Append(ctx, stream, expected, evs)
	s.m.ObserveAppend(time.Since(start))
	return res, err
}
