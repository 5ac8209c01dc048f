package supervise

import (
	"math/rand/v2"
	"time"
)

// Backoff chooses the wait before the n-th consecutive restart (n from 0):
// Initial doubling up to Max, each wait drawn uniformly from its upper half,
// so replicas that failed together do not retry in lockstep.
type Backoff struct {
	Initial, Max time.Duration
	// Rand returns a float in [0, 1); default math/rand/v2's.
	Rand func() float64
}

// DefaultBackoff waits 200ms, 400ms, … up to 10s.
var DefaultBackoff = Backoff{Initial: 200 * time.Millisecond, Max: 10 * time.Second}

// Delay returns the wait before restart n.
func (b Backoff) Delay(n int) time.Duration {
	initial, most := b.Initial, b.Max
	if initial <= 0 {
		initial = DefaultBackoff.Initial
	}
	if most < initial {
		most = initial
	}
	d := initial
	for i := 0; i < n && d < most; i++ {
		d *= 2
	}
	d = min(d, most)
	r := b.Rand
	if r == nil {
		r = rand.Float64
	}
	return d/2 + time.Duration(r()*float64(d/2))
}
