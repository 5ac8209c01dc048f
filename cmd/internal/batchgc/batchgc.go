// Package batchgc holds the garbage collector's settings for the batch jobs
// `disputes verify` and `disputes rebuild` (a target, and for a
// verification a heap budget it is tuned under), which the commands set
// and `disputes bench` sets around their figures, so that the bench
// measures what the commands run.
package batchgc

import (
	"os"
	"runtime/debug"
)

// Percent is the garbage collector's target while `disputes rebuild` runs,
// unless GOGC is set, and the least a verification (VerifyPercent) is
// tuned down to. A rebuild's live heap does not grow with the log at all
// (bounded ticket caches, a bounded hold of events between commits, pages
// in flight) while it allocates rows and decoded events per event: at 200
// it spends about 4% less CPU than at the default of 100 (100,000 events:
// 14.0 / 13.4 / 14.7 → 13.2 / 13.4 / 13.9 cpu-µs/event) for a peak about a
// fifth higher (240–253 → 294–304 MB resident). At 200 the heap may grow
// to three times the live heap instead of twice, so peak memory stays
// proportional to what the job holds.
const Percent = 200

// VerifyPercent is the target while `disputes verify` checks a bundle or a
// ledger (--db, --store), unless GOGC is set, as long as the heap it lets
// grow stays within VerifyHeapBudget. A verification is a batch job whose
// live heap (what it remembers of every ticket, the events of the tickets
// still open) grows slowly while it allocates a decoded event and a
// re-decided decision per event: at 400 the collector runs half as often
// as at Percent. 1M-event bundle, three runs each alternating (user+sys):
// 4.94 / 5.52 / 5.54 → 4.62 / 4.71 / 4.73 s, peak 382–425 → 467–516 MB;
// 1M-event ledger (--db), three each: 13.35 → 12.03 s median, peak 559–670
// → 762–804 MB.
const VerifyPercent = 400

// VerifyHeapBudget is the heap a verification may grow to at
// VerifyPercent (unless GOGC or GOMEMLIMIT is set). After every
// collection the target is set so that the heap's next goal is the
// budget, between Percent and VerifyPercent: once what the checks hold
// passes a fifth of the budget the collector runs more often than at
// VerifyPercent, and past a third of it as often as at Percent, the heap
// then three times what they hold. It is a budget, not a limit: a soft
// memory limit at it (what a bundle's verification ran under before)
// makes the collector run back to back once the checks hold nearly as
// much, and a ledger of a few million events does (a 1M-event ledger's
// live heap ends near 200 MB), so that verification slowed down as it
// grew instead of only using more memory.
const VerifyHeapBudget = 1 << 30

// Set sets the batch job's GC target (Percent), unless GOGC is set, and
// returns what restores the one before (tests and the bench run
// verifications and rebuilds in one process with other work).
func Set() (restore func()) { return set(Percent) }

// SetVerify is Set for a verification: VerifyPercent, tuned after every
// collection within VerifyHeapBudget (see there). With GOMEMLIMIT set the
// operator's limit rules and the target stays at VerifyPercent; with GOGC
// set nothing changes.
func SetVerify() (restore func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return set(VerifyPercent)
	}
	return tune(VerifyHeapBudget)
}

func set(percent int) (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	before := debug.SetGCPercent(percent)
	return func() { debug.SetGCPercent(before) }
}
