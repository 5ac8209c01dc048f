package appendcheck

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func events(from uint64, n int) []eventstore.EventData {
	evs := make([]eventstore.EventData, n)
	for i := range evs {
		evs[i] = eventstore.EventData{ID: uuid.New(), Type: "t", Revision: from + uint64(i), Data: fmt.Appendf(nil, "%d", i)}
	}
	return evs
}

func TestRulesCheck(t *testing.T) {
	errStream := errors.New("bad stream")
	errEvent := errors.New("bad event")
	backend := Rules{
		Stream: func(s string) error {
			if s == "bad" {
				return errStream
			}
			return nil
		},
		Event: func(e eventstore.EventData) error {
			if e.Type == "bad" {
				return errEvent
			}
			return nil
		},
	}
	ok := events(0, 3)
	nilID := events(0, 2)
	nilID[1].ID = uuid.Nil
	repeated := events(0, 3)
	repeated[2].ID = repeated[0].ID
	badType := events(0, 2)
	badType[1].Type = "bad"
	nilAndBad := events(0, 1)
	nilAndBad[0].ID, nilAndBad[0].Type = uuid.Nil, "bad"

	for _, tc := range []struct {
		name    string
		rules   Rules
		stream  string
		events  []eventstore.EventData
		wantErr error // nil: accepted; errAny: any error
		msg     string
	}{
		{"valid", backend, "s", ok, nil, ""},
		{"port rules only", Rules{}, "bad", badType, nil, ""},
		{"empty stream", backend, "", ok, errAny, "empty stream name"},
		{"backend refuses stream", backend, "bad", ok, errStream, ""},
		{"stream checked before events", backend, "bad", nil, errStream, ""},
		{"no events", backend, "s", nil, errAny, "no events"},
		{"nil id", backend, "s", nilID, errAny, "event 1: nil id"},
		{"id repeated", backend, "s", repeated, eventstore.ErrDuplicateID, "event 2: id"},
		{"backend refuses event", backend, "s", badType, errEvent, "event 1: bad event"},
		{"id checked before the backend", backend, "s", nilAndBad, errAny, "event 0: nil id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.rules.Check(tc.stream, tc.events)
			if tc.wantErr == nil {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			if tc.wantErr != errAny {
				assert.ErrorIs(t, err, tc.wantErr)
			}
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

// errAny marks a case that only needs some error.
var errAny = errors.New("any error")

func TestHeadNext(t *testing.T) {
	assert.Equal(t, uint64(0), Head{}.Next(), "missing stream")
	assert.Equal(t, uint64(0), Head{Last: 7}.Next(), "Last means nothing without Exists")
	assert.Equal(t, uint64(1), Head{Last: 0, Exists: true}.Next())
	assert.Equal(t, uint64(8), Head{Last: 7, Exists: true}.Next())
}

func TestCheckExpected(t *testing.T) {
	for _, tc := range []struct {
		name     string
		expected eventstore.ExpectedRevision
		head     Head
		ok       bool
	}{
		{"any on missing", eventstore.Any(), Head{}, true},
		{"any on existing", eventstore.Any(), Head{Last: 3, Exists: true}, true},
		{"no stream on missing", eventstore.NoStream(), Head{}, true},
		{"no stream on existing", eventstore.NoStream(), Head{Last: 0, Exists: true}, false},
		{"exact match", eventstore.Exact(3), Head{Last: 3, Exists: true}, true},
		{"exact behind", eventstore.Exact(2), Head{Last: 3, Exists: true}, false},
		{"exact on missing", eventstore.Exact(0), Head{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckExpected("s", tc.expected, tc.head)
			if tc.ok {
				assert.NoError(t, err)
				return
			}
			var ce *eventstore.ConcurrencyError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, eventstore.ConcurrencyError{Stream: "s", Expected: tc.expected, Actual: tc.head.Last, Exists: tc.head.Exists}, *ce)
			assert.ErrorIs(t, err, eventstore.ErrConcurrency)
		})
	}
}

func TestRevisions(t *testing.T) {
	gap := events(3, 3)
	gap[2].Revision = 6
	for _, tc := range []struct {
		name   string
		events []eventstore.EventData
		next   uint64
		ok     bool
	}{
		{"from zero", events(0, 3), 0, true},
		{"from the head", events(3, 3), 3, true},
		{"behind the head", events(2, 3), 3, false},
		{"ahead of the head", events(4, 1), 3, false},
		{"gap inside", gap, 3, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.ok, RevisionsFrom(tc.events, tc.next))
			err := CheckRevisions(tc.events, tc.next)
			if tc.ok {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, eventstore.ErrConcurrency)
			var ce *eventstore.ConcurrencyError
			assert.False(t, errors.As(err, &ce), "not a ConcurrencyError: expected may well hold")
		})
	}
}

func TestConsistent(t *testing.T) {
	for _, tc := range []struct {
		expected eventstore.ExpectedRevision
		first    uint64
		want     bool
	}{
		{eventstore.Any(), 0, true},
		{eventstore.Any(), 9, true},
		{eventstore.NoStream(), 0, true},
		{eventstore.NoStream(), 1, false},
		{eventstore.Exact(4), 5, true},
		{eventstore.Exact(4), 4, false},
		{eventstore.Exact(4), 0, false},
		{eventstore.Exact(math.MaxUint64), 0, false}, // rev+1 would wrap to 0
	} {
		t.Run(fmt.Sprintf("%s first %d", tc.expected, tc.first), func(t *testing.T) {
			assert.Equal(t, tc.want, Consistent(tc.expected, tc.first))
		})
	}
}

// places is a Lookup over a map.
type places map[uuid.UUID]Place

func (p places) lookup(id uuid.UUID) (Place, bool, error) {
	pl, ok := p[id]
	return pl, ok, nil
}

func TestFindStored(t *testing.T) {
	evs := events(0, 3)
	stored := places{
		evs[0].ID: {Stream: "s", Revision: 0, Position: 10},
		evs[1].ID: {Stream: "s", Revision: 1, Position: 12},
		evs[2].ID: {Stream: "s", Revision: 2, Position: 15},
	}
	some := places{evs[0].ID: stored[evs[0].ID]}
	otherStream := places{evs[1].ID: {Stream: "t", Revision: 1, Position: 12}}
	otherRevision := places{evs[1].ID: {Stream: "s", Revision: 4, Position: 12}}
	broken := errors.New("lookup broken")

	for _, tc := range []struct {
		name   string
		lookup Lookup
		want   Known
		reqErr error
		fatal  error
	}{
		{"none", places{}.lookup, Known{}, nil, nil},
		{"all", stored.lookup, Known{Count: 3, LastPosition: 15}, nil, nil},
		{"some", some.lookup, Known{Count: 1, LastPosition: 10}, nil, nil},
		{"id in another stream", otherStream.lookup, Known{}, eventstore.ErrDuplicateID, nil},
		{"id at another revision", otherRevision.lookup, Known{}, eventstore.ErrDuplicateID, nil},
		{"lookup fails", func(uuid.UUID) (Place, bool, error) { return Place{}, false, broken }, Known{}, nil, broken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, reqErr, fatal := FindStored("s", evs, tc.lookup)
			assert.Equal(t, tc.want, k)
			assertErr(t, tc.reqErr, reqErr, "reqErr")
			assertErr(t, tc.fatal, fatal, "fatal")
		})
	}
	assert.Equal(t, eventstore.AppendResult{NextExpected: 2, LastPosition: 15, Duplicate: true}, Known{Count: 3, LastPosition: 15}.Retry(evs))
}

func assertErr(t *testing.T, want, got error, what string) {
	t.Helper()
	if want == nil {
		assert.NoError(t, got, what)
		return
	}
	assert.ErrorIs(t, got, want, what)
}

func TestExplain(t *testing.T) {
	// Stream "s" holds revisions 0..2 at positions 1..3.
	stored := events(0, 3)
	head := Head{Last: 2, Exists: true}
	where := places{}
	for i, e := range stored {
		where[e.ID] = Place{Stream: "s", Revision: e.Revision, Position: uint64(i + 1)}
	}
	elsewhere := events(3, 1)
	elsewhere[0].ID = stored[0].ID
	partly := append(append([]eventstore.EventData{}, stored[2]), events(3, 1)...)
	broken := errors.New("lookup broken")

	for _, tc := range []struct {
		name     string
		expected eventstore.ExpectedRevision
		events   []eventstore.EventData
		lookup   Lookup
		res      eventstore.AppendResult
		reqErr   error
		concErr  bool // reqErr is a *ConcurrencyError
		fatal    error
	}{
		{"retry of the whole stream", eventstore.NoStream(), stored, where.lookup,
			eventstore.AppendResult{NextExpected: 2, LastPosition: 3, Duplicate: true}, nil, false, nil},
		{"retry of a suffix", eventstore.Exact(0), stored[1:], where.lookup,
			eventstore.AppendResult{NextExpected: 2, LastPosition: 3, Duplicate: true}, nil, false, nil},
		{"id used elsewhere", eventstore.Exact(2), elsewhere, where.lookup,
			eventstore.AppendResult{}, eventstore.ErrDuplicateID, false, nil},
		{"expected does not hold", eventstore.Exact(1), events(2, 1), where.lookup,
			eventstore.AppendResult{}, eventstore.ErrConcurrency, true, nil},
		{"wrong revisions", eventstore.Any(), events(5, 1), where.lookup,
			eventstore.AppendResult{}, eventstore.ErrConcurrency, false, nil},
		{"partly stored", eventstore.Exact(1), partly, where.lookup,
			eventstore.AppendResult{}, eventstore.ErrConcurrency, true, nil},
		{"no reason", eventstore.Exact(2), events(3, 2), where.lookup,
			eventstore.AppendResult{}, nil, false, nil},
		{"lookup fails", eventstore.Exact(2), events(3, 1), func(uuid.UUID) (Place, bool, error) { return Place{}, false, broken },
			eventstore.AppendResult{}, nil, false, broken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, reqErr, fatal := Explain("s", tc.expected, tc.events, head, tc.lookup)
			assert.Equal(t, tc.res, res)
			assertErr(t, tc.reqErr, reqErr, "reqErr")
			assertErr(t, tc.fatal, fatal, "fatal")
			var ce *eventstore.ConcurrencyError
			assert.Equal(t, tc.concErr, errors.As(reqErr, &ce), "ConcurrencyError")
			if reqErr != nil && !tc.concErr {
				assert.Contains(t, reqErr.Error(), "append s: ", "names the stream")
			}
		})
	}
}
