package bench

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRatioReadsTheSameWayForRatesAndTimes(t *testing.T) {
	for _, tc := range []struct {
		value, floor float64
		unit         string
		want         float64
	}{
		{80, 100, "events/s", 0.8},    // a rate at 80% of its floor's
		{100, 80, "commands/s", 1.25}, // faster than the floor
		{125, 100, "µs", 0.8},         // a time 25% longer than its floor's: 80% of its speed
		{2, 4, "ms", 2},               // half the floor's latency
		{0, 100, "events/s", 0},       // nothing measured
		{100, 0, "µs", 0},
	} {
		assert.InDelta(t, tc.want, RatioOf(tc.value, tc.floor, tc.unit), 1e-12, "%v %s vs %v", tc.value, tc.unit, tc.floor)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{9, 1, 5}, 5},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		assert.Equal(t, tc.want, median(tc.xs), "%v", tc.xs)
	}
}

func TestFigureValue(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{1234567.4, "1,234,567"}, {1000, "1,000"}, {999.6, "1,000"}, {104.4, "104"}, {52.25, "52.2"}, {0.123, "0.12"},
	} {
		assert.Equal(t, tc.want, figureValue(tc.v), "%v", tc.v)
	}
}

func TestChooseKeepsTheBenchOrder(t *testing.T) {
	got, err := choose([]string{"verify_ledger", "append_1_writer"})
	assert.NoError(t, err)
	if assert.Len(t, got, 2) {
		assert.Equal(t, "append_1_writer", got[0].name)
		assert.Equal(t, "verify_ledger", got[1].name)
	}
	_, err = choose([]string{"verify"})
	assert.ErrorIs(t, err, ErrUnknownFigure)
	all, err := choose(nil)
	assert.NoError(t, err)
	assert.Len(t, all, len(figures))
}
