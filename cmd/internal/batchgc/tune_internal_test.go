package batchgc

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPercentWithinTheBudget(t *testing.T) {
	t.Parallel()
	const budget = 1000
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, VerifyPercent},
		{100, VerifyPercent},
		{200, VerifyPercent}, // the goal, 5 × 200, is the budget
		{250, 300},
		{300, 233},
		{333, 200},
		{334, Percent},
		{5000, Percent}, // never below Percent: more memory, not a collector running back to back
	} {
		assert.Equal(t, c.want, percentWithin(c.live, budget), "live %d", c.live)
	}
}

// After a collection that finds more live than a fifth of the budget, the
// target is lowered toward Percent; once what was live is gone, the next
// collections raise it again.
func TestTuneFollowsTheLiveHeap(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	restore := tune(64 << 20)
	defer restore()
	require.Equal(t, VerifyPercent, percentNow())
	held := make([]byte, 48<<20)
	for i := range held {
		held[i] = byte(i)
	}
	assert.Eventually(t, func() bool { runtime.GC(); return percentNow() == Percent }, 5*time.Second, 10*time.Millisecond,
		"48 MiB live under a 64 MiB budget: the target drops to Percent")
	runtime.KeepAlive(held)
	assert.Eventually(t, func() bool { runtime.GC(); return percentNow() == VerifyPercent }, 5*time.Second, 10*time.Millisecond,
		"with the heap released the target goes back up")
	restore()
	assert.Equal(t, 150, percentNow())
}

// percentNow reads the target without setting it, which the tuner does
// on another goroutine.
func percentNow() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}
