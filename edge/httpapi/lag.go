package httpapi

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections"
)

// ProjectionLag is how far one projection is behind the head of the log.
type ProjectionLag struct {
	Projection string
	Checkpoint uint64
	Head       uint64
	// Events is Head - Checkpoint.
	Events uint64
	// Age is how long ago (by the server's clock) the oldest event the
	// projection has not applied occurred; zero when it is caught up.
	Age time.Duration
}

// Lag measures every projection of the read model against the log.
func (s *Server) Lag(ctx context.Context) ([]ProjectionLag, error) {
	if s.reads == nil {
		return nil, nil
	}
	head, err := projections.Head(ctx, s.store)
	if err != nil {
		return nil, err
	}
	cps, err := s.reads.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(cps))
	for n := range cps {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]ProjectionLag, 0, len(names))
	for _, n := range names {
		l := ProjectionLag{Projection: n, Checkpoint: cps[n], Head: head}
		if l.Checkpoint < head {
			l.Events = head - l.Checkpoint
			recs, err := s.store.ReadAll(ctx, l.Checkpoint, 1)
			if err != nil {
				return nil, fmt.Errorf("projection lag of %s: %w", n, err)
			}
			if len(recs) == 1 {
				env, err := events.Decode(recs[0].Data)
				if err != nil {
					return nil, fmt.Errorf("projection lag of %s: %w", n, err)
				}
				l.Age = max(0, s.cfg.Now().Sub(env.OccurredAt))
			}
		}
		out = append(out, l)
	}
	return out, nil
}

// registerLag adds the projection-lag gauges to the metrics.
func (s *Server) registerLag() {
	collect := func(value func(ProjectionLag) float64) func(context.Context) ([]Sample, error) {
		return func(ctx context.Context) ([]Sample, error) {
			lags, err := s.Lag(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]Sample, len(lags))
			for i, l := range lags {
				out[i] = Sample{Labels: []string{"projection", l.Projection}, Value: value(l)}
			}
			return out, nil
		}
	}
	s.metrics.Register(Collector{Name: "disputes_projection_lag_events", Type: "gauge",
		Help:    "Events in the log a projection has not applied yet.",
		Collect: collect(func(l ProjectionLag) float64 { return float64(l.Events) })})
	s.metrics.Register(Collector{Name: "disputes_projection_lag_seconds", Type: "gauge",
		Help:    "Age of the oldest event a projection has not applied yet (0 when caught up).",
		Collect: collect(func(l ProjectionLag) float64 { return l.Age.Seconds() })})
}
