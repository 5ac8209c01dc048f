package projections_test

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/projections"
)

// TestRebuildHeapDoesNotGrowWithTheLog rebuilds a log and one four times
// longer, both shapes, with small caches, and measures the live heap
// (after a collection) after every page against what it was before the
// rebuild: the longer log may not need more. (Caches of 20 tickets and an
// audit trail committing every 64 rows: the short log is already longer
// than every bound.) A rebuild that kept anything
// per event or per ticket past its caches and pages — a cache without its
// bound, decoded pages or their read buffers pinned past a commit, rows
// held uncommitted — would need about four times more on the longer log.
// (TestHeldMemoryIsBoundedWhateverTheLogsLength asserts the caches' and
// the held rows' counts; this one whatever holds the bytes.) It does not
// run in parallel: another test's allocations would count.
func TestRebuildHeapDoesNotGrowWithTheLog(t *testing.T) {
	if testing.Short() {
		t.Skip("rebuilds logs of thousands of events")
	}
	const cache, page = 20, 16
	grown := func(tickets int, timeOrdered bool) uint64 {
		l := newLedger(t)
		scs := generate(11, tickets, epoch, l.pol)
		if timeOrdered {
			for _, s := range interleave(scs) {
				l.handle(t, s)
			}
		} else {
			appendScenarios(t, l.store, l.pol, scs)
		}
		scs = nil // the test's own copy of the log: not the rebuild's memory
		projs := projections.Default(l.db, l.pol)
		projections.SetTicketCache(projs, cache)
		projections.SetAuditHold(projs, 4*page)
		var (
			mu   sync.Mutex
			peak uint64
		)
		live := func() uint64 {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			return ms.HeapAlloc
		}
		before := live()
		progress := func(projections.Progress) {
			mu.Lock() // one collection at a time: the lanes report side by side
			defer mu.Unlock()
			peak = max(peak, live())
		}
		_, err := projections.NewProjector(l.store, l.db, projs, projections.Options{PageSize: page, Progress: progress}).Rebuild(context.Background())
		require.NoError(t, err)
		if peak < before {
			return 0
		}
		return peak - before
	}
	for _, c := range []struct {
		name        string
		timeOrdered bool
	}{{"streams whole", false}, {"time-ordered", true}} {
		short, long := grown(100, c.timeOrdered), grown(400, c.timeOrdered)
		t.Logf("%s: live heap grown by %d bytes on 100 tickets, %d on 400", c.name, short, long)
		// The slack is a fraction of what 300 more tickets' events take
		// (about 1,600 events of ~700 bytes each, before decoding).
		require.Less(t, long, short+256<<10, "%s: the rebuild's heap grew with the log", c.name)
	}
}
