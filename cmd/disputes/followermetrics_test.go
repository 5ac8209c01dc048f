package main

import (
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/eventstore/follow"
	"github.com/disputes-ledger/disputes/internal/supervise"
)

// settableFollower is a follower whose status the test sets.
type settableFollower struct{ st follow.Status }

func (s *settableFollower) Status() follow.Status { return s.st }

// gauge returns the value of series name with the given labels, and false
// when there is none.
func gauge(t *testing.T, m *httpapi.Metrics, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	families, err := m.Gatherer().Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, metric := range f.GetMetric() {
			if hasLabels(metric, labels) {
				return metric.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	have := map[string]string{}
	for _, l := range m.GetLabel() {
		have[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// TestFollowerLagGaugeMoves: each running log follower's lag, position and
// state are gauges on the metrics registry (the operators' listener), by
// component; they follow the follower, and vanish while it stands by.
func TestFollowerLagGaugeMoves(t *testing.T) {
	bg := &background{reg: supervise.NewRegistry()}
	m := httpapi.NewMetrics()
	bg.registerMetrics(m)
	projector := map[string]string{"component": "projector"}

	_, ok := gauge(t, m, "disputes_follower_lag_events", projector)
	assert.False(t, ok, "no series before the follower runs")

	f := &settableFollower{st: follow.Status{Name: "projections", State: follow.CatchingUp, Position: 40, Head: 1040, Lag: 1000}}
	done := bg.follower("projector").run(f)
	lag, ok := gauge(t, m, "disputes_follower_lag_events", projector)
	require.True(t, ok)
	assert.Equal(t, 1000.0, lag)
	pos, _ := gauge(t, m, "disputes_follower_position", projector)
	assert.Equal(t, 40.0, pos)
	catching, _ := gauge(t, m, "disputes_follower_state", map[string]string{"component": "projector", "state": "catching_up"})
	assert.Equal(t, 1.0, catching)

	f.st = follow.Status{Name: "projections", State: follow.Live, Position: 1040, Head: 1040}
	lag, _ = gauge(t, m, "disputes_follower_lag_events", projector)
	assert.Equal(t, 0.0, lag, "caught up")
	live, _ := gauge(t, m, "disputes_follower_state", map[string]string{"component": "projector", "state": "live"})
	catching, _ = gauge(t, m, "disputes_follower_state", map[string]string{"component": "projector", "state": "catching_up"})
	assert.Equal(t, [2]float64{1, 0}, [2]float64{live, catching})

	f.st = follow.Status{Name: "projections", State: follow.Retrying, Position: 1040, Head: 1043, Lag: 3}
	lag, _ = gauge(t, m, "disputes_follower_lag_events", projector)
	assert.Equal(t, 3.0, lag, "behind while retrying")
	retrying, _ := gauge(t, m, "disputes_follower_state", map[string]string{"component": "projector", "state": "retrying"})
	assert.Equal(t, 1.0, retrying)

	done() // the component stands by: it runs no follower
	_, ok = gauge(t, m, "disputes_follower_lag_events", projector)
	assert.False(t, ok)
}
