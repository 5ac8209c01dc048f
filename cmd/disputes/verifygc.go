package main

import (
	"os"
	"runtime/debug"
)

// verifyGCPercent is the garbage collector's target while `disputes verify`
// runs, unless GOGC is set. A verification is a batch job whose live heap
// (what it remembers of every ticket) grows slowly while it allocates a
// decoded event and a re-decided decision per event: at the default of 100
// the collector ran about as often as the checks let it, for some tenth of
// the CPU. At 200 the heap may grow to three times the live heap instead of
// twice, so peak memory stays proportional to the ledger and bounded as
// before, only higher (1M-event bundle: 284 → 412 MB, CPU 10.3 → 9.3 s). No
// memory limit is set: a limit below a large ledger's live heap would make
// the collector run continuously instead.
const verifyGCPercent = 200

// batchGC sets the verification's GC target and returns what restores the
// one before (tests run commands in one process).
func batchGC() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	before := debug.SetGCPercent(verifyGCPercent)
	return func() { debug.SetGCPercent(before) }
}
