package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// TestSeedsAnyStart checks that the seeds play without a refusal and keep
// their shape (the same steps on the same weekdays) whatever start is given.
func TestSeedsAnyStart(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	loc := pol.BusinessCalendar().Location()
	reference, refused := seeds(time.Date(2026, 11, 2, 9, 30, 0, 0, loc))
	require.Empty(t, refused)
	starts := []time.Time{
		time.Date(2026, 11, 2, 9, 30, 0, 0, loc),      // the demo's Monday morning
		time.Date(2026, 11, 2, 9, 31, 0, 0, loc),      // a minute later: next week
		time.Date(2027, 2, 18, 23, 0, 0, 0, loc),      // a Thursday night
		time.Date(2026, 12, 27, 3, 0, 0, 0, time.UTC), // a Sunday, given in UTC
	}
	for _, start := range starts {
		scs, refused := seeds(start)
		require.Empty(t, refused, "start %s", start)
		require.Len(t, scs, len(reference))
		for i, sc := range scs {
			assert.False(t, sc.Start.Before(start), "%s starts before %s", sc.Name, start)
			assert.Equal(t, sc.Start.In(loc).Weekday(), reference[i].Start.In(loc).Weekday(), sc.Name)
			require.Len(t, sc.Steps, len(reference[i].Steps), sc.Name)
			for j, st := range sc.Steps {
				assert.Equal(t, reference[i].Steps[j].At, st.At, "%s step %d", sc.Name, j)
			}
			_, err := Play(sc, pol, nil)
			assert.NoError(t, err)
		}
	}
}

func TestNextAt(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("Asia/Shanghai", 8*3600)
	tests := []struct {
		name string
		from time.Time
		want time.Time
	}{
		{"exactly then", time.Date(2026, 11, 2, 9, 30, 0, 0, loc), time.Date(2026, 11, 2, 9, 30, 0, 0, loc)},
		{"same Monday, earlier", time.Date(2026, 11, 2, 8, 0, 0, 0, loc), time.Date(2026, 11, 2, 9, 30, 0, 0, loc)},
		{"same Monday, later", time.Date(2026, 11, 2, 9, 30, 1, 0, loc), time.Date(2026, 11, 9, 9, 30, 0, 0, loc)},
		{"a Saturday", time.Date(2026, 11, 7, 12, 0, 0, 0, loc), time.Date(2026, 11, 9, 9, 30, 0, 0, loc)},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, nextAt(tt.from, time.Monday, 9, 30), tt.name)
	}
}

// TestSeedsSelfContained checks that every deadline expiry a seed relies on
// is one of its steps, fired by the system at or after its due time.
func TestSeedsSelfContained(t *testing.T) {
	t.Parallel()
	for _, sc := range Seeds(time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)) {
		envs, err := Play(sc, policy.Default(), nil)
		require.NoError(t, err)
		for _, env := range envs {
			if exp, ok := env.Payload.(events.DeadlineExpired); ok {
				assert.Equal(t, events.SystemActor(), env.Actor)
				assert.False(t, env.OccurredAt.Before(exp.DueAt), "%s: %s fired early", sc.Name, exp.Deadline)
			}
		}
		final := domain.Replay(envs)
		assert.True(t, final.Closed(), "%s ends closed", sc.Name)
		assert.Empty(t, final.Deadlines, "%s leaves nothing for a scheduler", sc.Name)
	}
}
