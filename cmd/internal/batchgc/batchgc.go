// Package batchgc holds the garbage collector's settings for the batch jobs
// `disputes verify` and `disputes rebuild` (a target, and for a bundle's
// verification a soft memory limit), which the commands set and `disputes
// bench` sets around their figures, so that the bench measures what the
// commands run.
package batchgc

import (
	"os"
	"runtime/debug"
)

// Percent is the garbage collector's target while `disputes rebuild` or
// `disputes verify` of a ledger (--db, --store) runs, unless GOGC is set; a
// bundle's verification has BundlePercent. A verification is a batch job
// whose live heap (what it remembers of every ticket) grows slowly while it
// allocates a decoded event and a re-decided decision per event: at the
// default of 100 the collector ran about as often as the checks let it, for
// some tenth of the CPU. At 200 the heap may grow to three times the live
// heap instead of twice, so peak memory stays proportional to the ledger
// and bounded as before, only higher (1M-event bundle: 284 → 412 MB, CPU
// 10.3 → 9.3 s). No memory limit is set: a limit below a large ledger's
// live heap would make the collector run continuously instead.
//
// A rebuild's live heap does not grow with the log at all (bounded ticket
// caches, a bounded hold of events between commits, pages in flight)
// while it allocates rows and decoded events per event: at 200 it spends
// about 4% less CPU (100,000 events: 14.0 / 13.4 / 14.7 → 13.2 / 13.4 /
// 13.9 cpu-µs/event) for a peak about a fifth higher (240–253 → 294–304
// MB resident).
const Percent = 200

// BundlePercent is the target while `disputes verify` checks a bundle,
// unless GOGC is set. A bundle's lines are read into blocks that the open
// tickets' decoded events keep alive, so the heap holds much that the
// collector only traces: at 400 it runs half as often as at Percent.
// 1M-event bundle, three runs each alternating (user+sys): 4.94 / 5.52 /
// 5.54 → 4.62 / 4.71 / 4.73 s, peak 382–425 → 467–516 MB.
const BundlePercent = 400

// BundleHeapCeiling is the soft memory limit a bundle's verification runs
// under (unless GOGC or GOMEMLIMIT is set): BundlePercent lets the heap
// grow to five times what the checks remember, and a hostile bundle that
// keeps many tickets open raises that. Above the ceiling the collector
// runs as often as it must to stay below it (the runtime caps its share
// of the CPU, so a bundle whose live heap exceeds the ceiling verifies
// slower, not out of memory sooner): the peak is the larger of the
// ceiling and what the checks hold, below the three times of Percent
// wherever that is over the ceiling. A million-event bundle peaks at
// about half of it.
const BundleHeapCeiling = 1 << 30

// Set sets the batch job's GC target (Percent), unless GOGC is set, and
// returns what restores the one before (tests and the bench run
// verifications and rebuilds in one process with other work).
func Set() (restore func()) { return set(Percent) }

// SetBundle is Set for the verification of a bundle: BundlePercent under
// BundleHeapCeiling.
func SetBundle() (restore func()) {
	restoreGC := set(BundlePercent)
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return restoreGC
	}
	before := debug.SetMemoryLimit(BundleHeapCeiling)
	return func() {
		debug.SetMemoryLimit(before)
		restoreGC()
	}
}

func set(percent int) (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	before := debug.SetGCPercent(percent)
	return func() { debug.SetGCPercent(before) }
}
