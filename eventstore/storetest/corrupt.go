package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Column names a column a backend stores beside an event's data and reads
// back into RecordedEvent.
type Column string

// The columns every backend must check against the data's envelope header.
const (
	ColumnID       Column = "id"
	ColumnStream   Column = "stream"
	ColumnRevision Column = "revision"
	ColumnType     Column = "type"
)

// Columns lists every Column.
var Columns = []Column{ColumnID, ColumnStream, ColumnRevision, ColumnType}

// Tamper alters the stored event ev behind the store's back, as an operator
// with write access to the database could, so that its column no longer
// agrees with its data: a SQL backend sets the column to TamperedValue's
// value; a backend whose columns are the server's own fields may instead
// rewrite the data with TamperedData. It returns the stream the event is
// now read as part of.
type Tamper func(t *testing.T, ev eventstore.RecordedEvent, column Column) (stream string)

// TamperedValue is the value a Tamper gives column of ev: a uuid.UUID, a
// string or a uint64.
func TamperedValue(ev eventstore.RecordedEvent, column Column) any {
	switch column {
	case ColumnID:
		return uuid.NewSHA1(uuid.NameSpaceOID, ev.ID[:]) // any other id
	case ColumnStream:
		return ev.Stream + "-moved"
	case ColumnRevision:
		return ev.Revision + 100
	default:
		return ev.Type + ".edited"
	}
}

// TamperedData is ev's data with the header member of column replaced by
// TamperedValue: the same disagreement seen from the other side.
func TamperedData(ev eventstore.RecordedEvent, column Column) []byte {
	e := eventstore.RecordedEvent{ID: ev.ID, Stream: ev.Stream, Revision: ev.Revision, Type: ev.Type}
	switch v := TamperedValue(ev, column).(type) {
	case uuid.UUID:
		e.ID = v
	case uint64:
		e.Revision = v
	case string:
		if column == ColumnStream {
			e.Stream = v
		} else {
			e.Type = v
		}
	}
	return HeaderData(e.ID, e.Stream, e.Revision, e.Type)
}

// HeaderData returns event data that begins with an envelope header of the
// given members, as a ledger event's does, followed by a body.
func HeaderData(id uuid.UUID, stream string, revision uint64, typ string) []byte {
	quote := func(s string) []byte {
		b, err := json.Marshal(s)
		if err != nil {
			panic(err) // a string always marshals
		}
		return b
	}
	return fmt.Appendf(nil, `{"id":"%s","stream":%s,"revision":%d,"type":%s,"body":"x"}`, id, quote(stream), revision, quote(typ))
}

// headerEvents are newEvents whose data carries an envelope header.
func headerEvents(stream string, from uint64, n int) []eventstore.EventData {
	evs := newEvents(stream, from, n)
	for i := range evs {
		evs[i].Data = HeaderData(evs[i].ID, stream, evs[i].Revision, evs[i].Type)
	}
	return evs
}

// RunCorruption checks that a backend refuses, on every read, a stored
// event whose columns disagree with its data, and refuses to append an
// event whose data disagrees with it. tamper alters one stored event per
// subtest; newStore is as for Run.
func RunCorruption(t *testing.T, newStore NewStore, tamper Tamper) {
	t.Helper()
	t.Run("AppendRefusesMismatchedHeader", func(t *testing.T) {
		testAppendMismatchedHeader(t, newStore(t))
	})
	for _, column := range Columns {
		t.Run("Tampered_"+string(column), func(t *testing.T) {
			testTamperedColumn(t, newStore(t), tamper, column)
		})
	}
}

func testAppendMismatchedHeader(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	for _, column := range Columns {
		evs := headerEvents("header", 0, 2)
		rec := eventstore.RecordedEvent{ID: evs[1].ID, Stream: "header", Revision: 1, Type: evs[1].Type}
		evs[1].Data = TamperedData(rec, column)
		_, err := s.Append(ctx, "header", eventstore.NoStream(), evs)
		require.ErrorIs(t, err, eventstore.ErrCorrupt, "column %s", column)
	}
	assert.Zero(t, logLength(t, s), "a refused append must write nothing")
	_, err := s.Append(ctx, "header", eventstore.NoStream(), headerEvents("header", 0, 2))
	require.NoError(t, err, "agreeing headers are accepted")
}

func testTamperedColumn(t *testing.T, s eventstore.Store, tamper Tamper, column Column) {
	ctx := context.Background()
	for _, step := range []struct {
		stream string
		from   uint64
		n      int
	}{{"tamper-a", 0, 2}, {"tamper-b", 0, 1}, {"tamper-a", 2, 2}, {"tamper-b", 1, 1}} {
		_, err := s.Append(ctx, step.stream, expectAfter(step.from), headerEvents(step.stream, step.from, step.n))
		require.NoError(t, err)
	}
	log := readAll(t, s, 0, 100)
	require.Len(t, log, 6)
	victim := log[3] // tamper-a revision 2, between intact events of both streams
	require.Equal(t, "tamper-a", victim.Stream)
	stream := tamper(t, victim, column)

	assertCorrupt := func(t *testing.T, err error) {
		t.Helper()
		require.ErrorIs(t, err, eventstore.ErrCorrupt)
		var ce *eventstore.CorruptError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, string(column), ce.Column)
	}
	t.Run("ReadAll", func(t *testing.T) {
		_, err := s.ReadAll(ctx, 0, 0)
		assertCorrupt(t, err)
		var ce *eventstore.CorruptError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, victim.Position, ce.Position)
		before, err := s.ReadAll(ctx, 0, int(victim.Position-1))
		require.NoError(t, err, "the events before the corrupt one read")
		assert.Len(t, before, int(victim.Position-1))
		after, err := s.ReadAll(ctx, victim.Position, 0)
		require.NoError(t, err, "the events after the corrupt one read")
		assert.Len(t, after, len(log)-int(victim.Position))
	})
	t.Run("Subscribe", func(t *testing.T) {
		sctx, cancel := context.WithTimeout(ctx, waitTimeout)
		defer cancel()
		sub, err := s.Subscribe(sctx, 0)
		require.NoError(t, err)
		var got int
		for range sub.Events() {
			got++
		}
		require.NoError(t, sctx.Err(), "the subscription must end on the corrupt event, not wait")
		assertCorrupt(t, sub.Err())
		// A batch that holds the corrupt event fails whole.
		assert.Less(t, got, int(victim.Position), "no event from the corrupt one on")
	})
	t.Run("ReadStream", func(t *testing.T) {
		_, err := s.ReadStream(ctx, stream, 0, 0)
		assertCorrupt(t, err)
		_, err = s.ReadStreamBackward(ctx, stream, ^uint64(0), 0)
		assertCorrupt(t, err)
		intact, err := s.ReadStream(ctx, "tamper-b", 0, 0)
		require.NoError(t, err, "another stream still reads")
		assert.Len(t, intact, 2)
	})
}
