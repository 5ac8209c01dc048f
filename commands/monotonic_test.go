package commands_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

const messageLine = `{"command_id":"c-msg","ticket_id":"T-1","actor":{"role":"buyer","id":"b-1"},"command":"post_message","data":{"text":"any news?"}}`

// TestTimeNeverGoesBackwardsInATicket: a replica whose clock is an hour
// behind the ticket's last event records its command at that event's time,
// not earlier, counts the skew, and the timeline stays in order; a replica
// on time records at its own clock and counts nothing.
func TestTimeNeverGoesBackwardsInATicket(t *testing.T) {
	t.Parallel()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ledger.db"), sqlite.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	ahead := commands.NewHandler(store, commands.WithClock(func() time.Time { return now }))
	behind := commands.NewHandler(store, commands.WithClock(func() time.Time { return now.Add(-time.Hour) }))
	ctx := context.Background()

	req, cmd := parse(t, openLine)
	opened, err := ahead.Handle(ctx, req, cmd)
	require.NoError(t, err)
	req, cmd = parse(t, messageLine)
	res, err := behind.Handle(ctx, req, cmd)
	require.NoError(t, err)

	require.Len(t, res.Events, 1)
	last := opened.Events[len(opened.Events)-1].OccurredAt
	assert.True(t, res.Events[0].OccurredAt.Equal(last), "recorded at %s, the last event was at %s", res.Events[0].OccurredAt, last)
	assert.Equal(t, uint64(1), behind.ClockBehind(), "the skew is counted")
	assert.Zero(t, ahead.ClockBehind())

	_, history, err := ahead.Load(ctx, "T-1")
	require.NoError(t, err)
	steps := domain.Timeline(history, nil)
	require.Len(t, steps, len(history))
	for i := 1; i < len(history); i++ {
		assert.False(t, history[i].OccurredAt.Before(history[i-1].OccurredAt), "occurred_at of revision %d goes backwards", history[i].Revision)
		assert.False(t, steps[i].EffectiveAt.Before(steps[i-1].EffectiveAt), "the timeline goes backwards at step %d", i)
	}

	// A clock on time is used as it is.
	later := now.Add(time.Minute)
	onTime := commands.NewHandler(store, commands.WithClock(func() time.Time { return later }))
	req, cmd = parse(t, `{"command_id":"c-msg2","ticket_id":"T-1","actor":{"role":"buyer","id":"b-1"},"command":"post_message","data":{"text":"hello?"}}`)
	res, err = onTime.Handle(ctx, req, cmd)
	require.NoError(t, err)
	assert.True(t, res.Events[0].OccurredAt.Equal(later))
	assert.Zero(t, onTime.ClockBehind())
}

// TestClientTimeBeforeTheLastEventIsRefused: an import (WithClientTime)
// states when things happened, so a time earlier than the ticket's last
// event is refused as invalid, naming the field, and nothing is written;
// the same time as the last event is accepted.
func TestClientTimeBeforeTheLastEventIsRefused(t *testing.T) {
	t.Parallel()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ledger.db"), sqlite.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	h := commands.NewHandler(store, commands.WithClientTime())
	ctx := context.Background()

	req, cmd := parse(t, openLine)
	at := now
	req.At = &at
	_, err = h.Handle(ctx, req, cmd)
	require.NoError(t, err)

	req, cmd = parse(t, messageLine)
	earlier := now.Add(-time.Second)
	req.At = &earlier
	_, err = h.Handle(ctx, req, cmd)
	require.ErrorIs(t, err, commands.ErrValidation)
	var verr *commands.ValidationError
	require.ErrorAs(t, err, &verr)
	assert.Equal(t, "at", verr.Field)
	_, history, err := h.Load(ctx, "T-1")
	require.NoError(t, err)
	assert.Len(t, history, 1, "nothing was written")
	assert.Zero(t, h.ClockBehind(), "a refused client time is not clock skew")

	req.At = &at
	res, err := h.Handle(ctx, req, cmd)
	require.NoError(t, err)
	assert.True(t, res.Events[0].OccurredAt.Equal(now))
}
