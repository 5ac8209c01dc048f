// Package batchgc holds the garbage collector's target for `disputes
// verify`, which the command sets and `disputes bench` sets around its
// verification figures, so that the bench measures what the command runs.
package batchgc

import (
	"os"
	"runtime/debug"
)

// Percent is the garbage collector's target while `disputes verify` runs,
// unless GOGC is set. A verification is a batch job whose live heap (what
// it remembers of every ticket) grows slowly while it allocates a decoded
// event and a re-decided decision per event: at the default of 100 the
// collector ran about as often as the checks let it, for some tenth of the
// CPU. At 200 the heap may grow to three times the live heap instead of
// twice, so peak memory stays proportional to the ledger and bounded as
// before, only higher (1M-event bundle: 284 → 412 MB, CPU 10.3 → 9.3 s). No
// memory limit is set: a limit below a large ledger's live heap would make
// the collector run continuously instead.
const Percent = 200

// Set sets the verification's GC target, unless GOGC is set, and returns
// what restores the one before (tests and the bench run verifications in
// one process with other work).
func Set() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	before := debug.SetGCPercent(Percent)
	return func() { debug.SetGCPercent(before) }
}
