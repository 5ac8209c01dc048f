package clock_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/internal/clock"
)

var t0 = time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)

func TestManualClockTimers(t *testing.T) {
	t.Parallel()
	c := clock.NewManualClock(t0)
	now, _ := c.NewTimer(0)
	select {
	case <-now:
	default:
		t.Fatal("a timer for 0 fires at once")
	}
	a, _ := c.NewTimer(time.Hour)
	b, stopB := c.NewTimer(2 * time.Hour)
	assert.Equal(t, 2, c.Waiters())
	stopB()
	assert.Equal(t, 1, c.Waiters())
	c.Advance(59 * time.Minute)
	select {
	case <-a:
		t.Fatal("fired early")
	default:
	}
	c.Advance(time.Minute)
	assert.Equal(t, t0.Add(time.Hour), <-a)
	select {
	case <-b:
		t.Fatal("stopped timer fired")
	default:
	}
	c.Set(t0) // never backwards
	assert.Equal(t, t0.Add(time.Hour), c.Now())
}

func TestScaledClock(t *testing.T) {
	t.Parallel()
	_, err := clock.NewScaledClock(t0, 0)
	require.Error(t, err)
	c, err := clock.NewScaledClock(t0, 3600)
	require.NoError(t, err)
	start := time.Now()
	ch, stop := c.NewTimer(36 * time.Second) // 10 ms of real time
	defer stop()
	<-ch
	assert.GreaterOrEqual(t, time.Since(start), 10*time.Millisecond)
	assert.False(t, c.Now().Before(t0.Add(36*time.Second)))
	assert.Equal(t, 3600.0, c.Speed())
}
