package projections_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/projections"
)

// TestDeadlinesAreTheDomainsOpenDeadlines projects tickets cut at every
// stage of their lives, in small pages that read each ticket back from its
// stored state, and checks after each run that rm_deadlines holds exactly
// the open deadlines the domain's own fold gives, and only open tickets
// keep a state; once every stream is whole and every ticket closed, both
// tables are empty, however many tickets there were.
func TestDeadlinesAreTheDomainsOpenDeadlines(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	ctx := context.Background()
	scs := append(scenarios.Seeds(epoch), generate(41, 90, epoch, l.pol)...)
	streams := make([][]events.Envelope, len(scs))
	for i, sc := range scs {
		envs, err := scenarios.Play(sc, l.pol, func() uuid.UUID { return uuid.Must(uuid.NewV7()) })
		require.NoError(t, err)
		streams[i] = envs
	}
	written := make([]int, len(scs)) // events of each stream appended so far
	appendUpTo := func(cut func(i, n int) int) {
		for i, envs := range streams {
			to := cut(i, len(envs))
			if to <= written[i] {
				continue
			}
			data := make([]eventstore.EventData, 0, to-written[i])
			for _, env := range envs[written[i]:to] {
				raw, err := events.Encode(env)
				require.NoError(t, err)
				data = append(data, eventstore.EventData{ID: env.ID, Type: env.Type, Revision: env.Revision, Data: raw})
			}
			expected := eventstore.NoStream()
			if written[i] > 0 {
				expected = eventstore.Exact(envs[written[i]-1].Revision)
			}
			_, err := l.store.Append(ctx, envs[0].Stream, expected, data)
			require.NoError(t, err)
			written[i] = to
		}
	}
	project := func() {
		projs := []projections.Projection{projections.NewDeadlines(l.db)}
		projections.ForgetBetweenPages(projs)
		_, err := projections.NewProjector(l.store, l.db, projs, projections.Options{PageSize: 13}).Run(ctx)
		require.NoError(t, err)
	}
	check := func(stage string) {
		var want, open []string
		var due []projections.OpenDeadline
		for i, envs := range streams {
			if written[i] == 0 {
				continue
			}
			tk := domain.Replay(envs[:written[i]])
			if tk.Closed() {
				continue
			}
			open = append(open, "ticket_id="+tk.ID)
			for _, d := range tk.OpenDeadlines() {
				want = append(want, "ticket_id="+tk.ID+" kind="+string(d.Kind)+" due_at="+projections.FormatTime(d.DueAt))
				due = append(due, projections.OpenDeadline{TicketID: tk.ID, Kind: d.Kind, DueAt: d.DueAt})
			}
		}
		sort.Strings(want)
		sort.Strings(open)
		got := rowsOf(t, l.db.SQL, `SELECT * FROM rm_deadlines`)
		sort.Strings(got)
		assert.Equal(t, want, got, "%s: the open deadlines", stage)
		assert.Equal(t, open, rowsOf(t, l.db.SQL, `SELECT ticket_id FROM rm_deadline_tickets ORDER BY ticket_id`), "%s: states of open tickets only", stage)

		// Walking the due deadlines page by page meets each once, in order.
		sort.Slice(due, func(i, j int) bool {
			a, b := due[i], due[j]
			if !a.DueAt.Equal(b.DueAt) {
				return a.DueAt.Before(b.DueAt)
			}
			if a.TicketID != b.TicketID {
				return a.TicketID < b.TicketID
			}
			return a.Kind < b.Kind
		})
		var walked []projections.OpenDeadline
		var after projections.OpenDeadline
		for {
			page, err := projections.DueDeadlines(ctx, l.db, epoch.AddDate(5, 0, 0), after, 4)
			require.NoError(t, err)
			walked = append(walked, page...)
			if len(page) < 4 {
				break
			}
			after = page[len(page)-1]
		}
		require.Len(t, walked, len(due), stage)
		for i := range due {
			assert.Equal(t, due[i].TicketID, walked[i].TicketID, stage)
			assert.Equal(t, due[i].Kind, walked[i].Kind, stage)
			assert.True(t, due[i].DueAt.Equal(walked[i].DueAt), "%s: %v at %s, read %s", stage, due[i].Kind, due[i].DueAt, walked[i].DueAt)
		}
		if len(due) > 0 {
			first, ok, err := projections.NextDeadlineAfter(ctx, l.db, time.Time{})
			require.NoError(t, err)
			require.True(t, ok)
			assert.True(t, first.Equal(due[0].DueAt), stage)
			cut := due[len(due)/2].DueAt
			upTo, err := projections.DueDeadlines(ctx, l.db, cut, projections.OpenDeadline{}, 1000)
			require.NoError(t, err)
			for _, d := range upTo {
				assert.False(t, d.DueAt.After(cut), "%s: due by %s only", stage, cut)
			}
			next, ok, err := projections.NextDeadlineAfter(ctx, l.db, cut)
			require.NoError(t, err)
			if ok {
				assert.True(t, next.After(cut), stage)
				assert.Len(t, upTo, sort.Search(len(due), func(i int) bool { return due[i].DueAt.After(cut) }), stage)
			}
		}
	}

	for _, stage := range []struct {
		name string
		cut  func(i, n int) int
	}{
		{"opened", func(int, int) int { return 1 }},
		{"a third in", func(i, n int) int { return max(1, n/3+i%2) }},
		{"all but the last", func(_, n int) int { return n - 1 }},
		{"whole", func(_, n int) int { return n }},
	} {
		appendUpTo(stage.cut)
		project()
		check(stage.name)
	}
	assert.Empty(t, rowsOf(t, l.db.SQL, `SELECT * FROM rm_deadlines`), "every ticket closed: nothing left to fire")
	assert.Empty(t, rowsOf(t, l.db.SQL, `SELECT * FROM rm_deadline_tickets`), "every ticket closed: no state kept")
}
