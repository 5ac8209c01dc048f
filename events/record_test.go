package events_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/events"
)

func TestRecordWrapsAndLinks(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)
	c := events.Cause{OccurredAt: at, Actor: events.SystemActor(), CommandID: "cmd-1", CorrelationID: "T-1"}
	payloads := []events.Payload{events.DeadlineExpired{Deadline: events.DeadlineAppeal, DueAt: at}, events.TicketExpired{}}
	var revs []uint64
	newID := func(rev uint64) (uuid.UUID, error) { revs = append(revs, rev); return uuid.NewV7() }

	first, _, err := events.Record(nil, events.StreamFor("T-1"), c, payloads[:1], newID)
	require.NoError(t, err)
	more, wire, err := events.Record(&first[0], events.StreamFor("T-1"), c, payloads[1:], newID)
	require.NoError(t, err)
	assert.Equal(t, []uint64{0, 1}, revs, "newID learns each event's revision")
	require.NoError(t, events.VerifyChain(nil, append(first, more...)))
	got, err := events.Decode(wire[0])
	require.NoError(t, err)
	assert.Equal(t, c, events.Cause{OccurredAt: got.OccurredAt, Actor: got.Actor, CommandID: got.CommandID, CorrelationID: got.CorrelationID})
	assert.Equal(t, events.TypeTicketExpired, got.Type)

	boom := errors.New("no entropy")
	_, _, err = events.Record(nil, "ticket-X", c, payloads, func(uint64) (uuid.UUID, error) { return uuid.UUID{}, boom })
	assert.ErrorIs(t, err, boom)
}
