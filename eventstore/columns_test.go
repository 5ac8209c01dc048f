package eventstore_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sealed returns a real envelope's wire bytes, so the header reader is
// tested against what the encoder writes, escapes included.
func sealed(t *testing.T, stream string, rev uint64) (events.Envelope, []byte) {
	t.Helper()
	env, data, err := events.Seal(events.Envelope{
		ID: uuid.Must(uuid.NewV7()), Stream: stream, Revision: rev, Type: events.TypeMessagePosted,
		SchemaVersion: events.CurrentSchemaVersion, OccurredAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		Actor: events.Actor{Role: events.RoleBuyer, ID: "b-1"}, CommandID: "c-1", CorrelationID: "c-1",
		Payload: events.MessagePosted{Party: events.RoleBuyer, Text: "hello"},
	})
	require.NoError(t, err)
	return env, data
}

func TestCheckColumns(t *testing.T) {
	t.Parallel()
	env, data := sealed(t, "ticket-t1", 7)
	odd, oddData := sealed(t, `ticket-<a&b>"\`, 0) // the encoder escapes all of these
	row := func(e events.Envelope, data []byte) eventstore.RecordedEvent {
		return eventstore.RecordedEvent{ID: e.ID, Stream: e.Stream, Revision: e.Revision, Type: e.Type, Data: data, Position: 111}
	}
	for _, tc := range []struct {
		name   string
		edit   func(r *eventstore.RecordedEvent)
		column string // "" when the row must pass
	}{
		{"agrees", func(*eventstore.RecordedEvent) {}, ""},
		{"escaped stream agrees", func(r *eventstore.RecordedEvent) { *r = row(odd, oddData) }, ""},
		{"opaque data is not checked", func(r *eventstore.RecordedEvent) { r.Data = []byte(`{"n":1}`) }, ""},
		{"empty data is not checked", func(r *eventstore.RecordedEvent) { r.Data = nil }, ""},
		{"stream edited", func(r *eventstore.RecordedEvent) { r.Stream = "ticket-hidden" }, "stream"},
		{"escaped stream edited", func(r *eventstore.RecordedEvent) { *r = row(odd, oddData); r.Stream = "ticket-<a&b>" }, "stream"},
		{"revision edited", func(r *eventstore.RecordedEvent) { r.Revision = 0 }, "revision"},
		{"type edited", func(r *eventstore.RecordedEvent) { r.Type = events.TypeRulingRecorded }, "type"},
		{"id edited", func(r *eventstore.RecordedEvent) { r.ID = uuid.Must(uuid.NewV7()) }, "id"},
		{"header cut short", func(r *eventstore.RecordedEvent) { r.Data = r.Data[:60] }, "header"},
		{"header members reordered", func(r *eventstore.RecordedEvent) {
			r.Data = bytes.Replace(r.Data, []byte(`"stream":`), []byte(`"strean":`), 1)
		}, "header"},
		{"revision with a leading zero", func(r *eventstore.RecordedEvent) {
			r.Data = bytes.Replace(r.Data, []byte(`"revision":7`), []byte(`"revision":07`), 1)
		}, "header"},
		{"revision overflows", func(r *eventstore.RecordedEvent) {
			r.Data = bytes.Replace(r.Data, []byte(`"revision":7`), []byte(`"revision":99999999999999999999`), 1)
		}, "header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := row(env, bytes.Clone(data))
			tc.edit(&r)
			err := eventstore.CheckColumns(&r)
			if tc.column == "" {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, eventstore.ErrCorrupt)
			var ce *eventstore.CorruptError
			require.True(t, errors.As(err, &ce))
			assert.Equal(t, tc.column, ce.Column)
			assert.Equal(t, uint64(111), ce.Position)
			assert.Contains(t, err.Error(), "position 111")
		})
	}
}

func TestCheckEventData(t *testing.T) {
	t.Parallel()
	env, data := sealed(t, "ticket-t1", 3)
	good := eventstore.EventData{ID: env.ID, Type: env.Type, Revision: env.Revision, Data: data}
	assert.NoError(t, eventstore.CheckEventData("ticket-t1", good))
	err := eventstore.CheckEventData("ticket-t2", good)
	var ce *eventstore.CorruptError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "stream", ce.Column)
	assert.Zero(t, ce.Position)
}

func BenchmarkCheckColumns(b *testing.B) {
	env, data, err := events.Seal(events.Envelope{
		ID: uuid.Must(uuid.NewV7()), Stream: "ticket-0193a5c2", Revision: 12, Type: events.TypeMessagePosted,
		SchemaVersion: events.CurrentSchemaVersion, OccurredAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		Actor: events.Actor{Role: events.RoleBuyer, ID: "b-1"}, CommandID: "c-1", CorrelationID: "c-1",
		Payload: events.MessagePosted{Party: events.RoleBuyer, Text: "hello"},
	})
	require.NoError(b, err)
	r := eventstore.RecordedEvent{ID: env.ID, Stream: env.Stream, Revision: env.Revision, Type: env.Type, Data: data}
	b.ReportAllocs()
	for b.Loop() {
		if err := eventstore.CheckColumns(&r); err != nil {
			b.Fatal(err)
		}
	}
}
