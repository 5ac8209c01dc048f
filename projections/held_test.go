package projections_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/projections"
)

// TestHeldMemoryIsBoundedWhateverTheLogsLength rebuilds logs of two lengths
// and both shapes (streams appended whole; tickets interleaved in time, as
// the demo and production write them) with a ticket cache far smaller than
// the tickets: what each read model holds in memory never passes its cache
// plus one page, however long the log, pages are held over several
// commits, and the rows equal a build that kept every ticket in memory.
func TestHeldMemoryIsBoundedWhateverTheLogsLength(t *testing.T) {
	t.Parallel()
	const cache, page = 20, 16
	for _, tc := range []struct {
		name        string
		tickets     int
		timeOrdered bool
	}{
		{"streams whole, short", 60, false},
		{"streams whole, 4x longer", 240, false},
		{"time-ordered, short", 40, true},
		{"time-ordered, 4x longer", 160, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := newLedger(t)
			scs := generate(7, tc.tickets, epoch, l.pol)
			if tc.timeOrdered {
				for _, s := range interleave(scs) {
					l.handle(t, s)
				}
			} else {
				appendScenarios(t, l.store, l.pol, scs)
			}
			ctx := context.Background()
			projs := projections.Default(l.db, l.pol)
			projections.SetTicketCache(projs, cache)
			var (
				mu          sync.Mutex
				maxTickets  = map[string]int{}
				heldCommits int
			)
			byName := map[string]projections.Projection{}
			for _, p := range projs {
				byName[p.Name()] = p
			}
			// Progress runs on the projection's own goroutine, after each
			// page: its memory may be looked at there.
			progress := func(pr projections.Progress) {
				tickets, rows := projections.Held(byName[pr.Projection])
				mu.Lock()
				defer mu.Unlock()
				maxTickets[pr.Projection] = max(maxTickets[pr.Projection], tickets)
				assert.LessOrEqual(t, rows, 4096+page, pr.Projection)
				if pr.Applied > pr.Position {
					heldCommits++
				}
			}
			p := projections.NewProjector(l.store, l.db, projs, projections.Options{PageSize: page, Progress: progress})
			_, err := p.Rebuild(ctx)
			require.NoError(t, err)
			for _, name := range []string{projections.TicketStatusName, projections.MerchantPenaltiesName, projections.DeadlinesName} {
				assert.LessOrEqual(t, maxTickets[name], cache+page, "%s holds at most its cache and one page of tickets", name)
				assert.Positive(t, maxTickets[name], name)
			}
			assert.Positive(t, heldCommits, "some pages were held in memory over a commit")

			clean, err := openSQLite(ctx, t.TempDir()+"/clean.db")
			require.NoError(t, err)
			defer clean.Close()
			_, err = projections.RunToHead(ctx, l.store, clean, l.pol)
			require.NoError(t, err)
			assert.Equal(t, dump(t, clean), dump(t, l.db))
		})
	}
}
