package batchgc

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// percentWithin is the target whose next heap goal, for a live heap of
// live bytes, is budget: between Percent and VerifyPercent.
func percentWithin(live, budget uint64) int {
	if live == 0 || budget/live >= 1+VerifyPercent/100 {
		return VerifyPercent
	}
	p := int(budget*100/live) - 100
	return max(Percent, min(VerifyPercent, p))
}

// tuner sets the target after every collection (percentWithin the
// budget), until stopped.
type tuner struct {
	budget uint64
	mu     sync.Mutex
	stop   bool
	last   int
	live   []metrics.Sample
}

// gcSentinel is an object nothing refers to: its finalizer runs once the
// collection after its allocation has found it unreachable, and makes the
// next one. It holds a pointer so that the allocator never packs it with
// other small objects, which would keep it alive with them.
type gcSentinel struct{ _ *byte }

// tune sets VerifyPercent, then tunes it after every collection within
// budget; restore stops that and restores the target before.
func tune(budget uint64) (restore func()) {
	before := debug.SetGCPercent(VerifyPercent)
	t := &tuner{budget: budget, last: VerifyPercent, live: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	t.arm()
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.stop = true
		debug.SetGCPercent(before)
	}
}

func (t *tuner) arm() {
	runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
		if t.adjust() {
			t.arm()
		}
	})
}

// adjust sets the target for the live heap the last collection marked,
// and reports whether to go on.
func (t *tuner) adjust() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stop {
		return false
	}
	metrics.Read(t.live)
	if t.live[0].Value.Kind() != metrics.KindUint64 {
		return false // a runtime without the metric: stay at VerifyPercent
	}
	if p := percentWithin(t.live[0].Value.Uint64(), t.budget); p != t.last {
		debug.SetGCPercent(p)
		t.last = p
	}
	return true
}
