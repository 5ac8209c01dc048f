package sqlite_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// TestStreamReadsStartNoWatcherForTheirContext holds a stream read (and a
// read of the global log) to the
// same allocations whether its context can end or not: given one that can,
// database/sql and the driver would each start a goroutine per statement
// (and database/sql one per read transaction) to cut it short, which costs
// more than the short read it could interrupt (a command's load always has
// a deadline). A cancelled context is still refused before the read: the
// conformance suite's cancelled-context test.
func TestStreamReadsStartNoWatcherForTheirContext(t *testing.T) {
	s, _ := openStore(t, sqlite.Config{})
	ctx := context.Background()
	evs := make([]eventstore.EventData, 3)
	for i := range evs {
		evs[i] = eventstore.EventData{ID: uuid.New(), Type: "t", Revision: uint64(i), Data: []byte(`{"i":1}`)}
	}
	_, err := s.Append(ctx, "held", eventstore.NoStream(), evs)
	require.NoError(t, err)
	deadline, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	for _, tc := range []struct {
		name string
		read func(ctx context.Context) error
	}{
		{"missing stream", func(ctx context.Context) error {
			_, err := s.ReadStream(ctx, "missing", 0, 0)
			assert.ErrorIs(t, err, eventstore.ErrStreamNotFound)
			return nil
		}},
		{"whole stream", func(ctx context.Context) error { _, err := s.ReadStream(ctx, "held", 0, 0); return err }},
		{"backward", func(ctx context.Context) error {
			_, err := s.ReadStreamBackward(ctx, "held", math.MaxUint64, 2)
			return err
		}},
		{"past the end (a read transaction)", func(ctx context.Context) error { _, err := s.ReadStream(ctx, "held", 9, 0); return err }},
		{"the global log", func(ctx context.Context) error { _, err := s.ReadAll(ctx, 0, 0); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.read(deadline)) // prepare on the pooled connection first
			// The least of a few tries each: AllocsPerRun counts the whole
			// process, and a goroutine database/sql starts per read
			// transaction (whatever the context) allocates only when no
			// exited one is there to reuse, which on a busy machine varies.
			with, without := math.Inf(1), math.Inf(1)
			for range 3 {
				without = min(without, testing.AllocsPerRun(100, func() { require.NoError(t, tc.read(ctx)) }))
				with = min(with, testing.AllocsPerRun(100, func() { require.NoError(t, tc.read(deadline)) }))
			}
			// The watchers cost at least 5 allocations per statement; the
			// margin is that, as the goroutine reuse above can still leave
			// the two sides 3 apart on a busy machine.
			assert.Less(t, with, without+5, "a read under a deadline allocates more: a watcher per statement is back")
		})
	}
}

// TestAReadThatFindsNoRowsAllocatesNoList: the write path's load of a
// ticket about to be opened finds no rows, and allocates no list for them
// (a list of 16 events was made and dropped); a read past a stream's end,
// which finds no rows either, still answers an empty list, not nil.
func TestAReadThatFindsNoRowsAllocatesNoList(t *testing.T) {
	s, _ := openStore(t, sqlite.Config{})
	ctx := context.Background()
	_, err := s.Append(ctx, "held", eventstore.NoStream(), []eventstore.EventData{{ID: uuid.New(), Type: "t", Data: []byte(`{"i":1}`)}})
	require.NoError(t, err)
	evs, err := s.ReadStream(ctx, "held", 5, 0)
	require.NoError(t, err)
	assert.NotNil(t, evs)
	assert.Empty(t, evs)
	assert.Zero(t, cap(evs), "a list was made for rows that never came")
	_, err = s.ReadStream(ctx, "missing", 0, 0)
	assert.ErrorIs(t, err, eventstore.ErrStreamNotFound)
}

// endsAfter is a context that never reports Done (so no watcher is started
// for it) and reports itself cancelled from its nth look at Err on: a
// caller that hangs up partway through a read.
type endsAfter struct {
	context.Context
	looks, n int
}

func (c *endsAfter) Err() error {
	if c.looks++; c.looks >= c.n {
		return context.Canceled
	}
	return nil
}

// TestALongStreamReadStopsWhenItsCallerEnds: a stream read runs without
// handing its context to the driver, but it still looks at it as it scans,
// so a ticket grown long (a party posting message after message) makes no
// read that a hung-up caller cannot stop; a short stream is read whole.
func TestALongStreamReadStopsWhenItsCallerEnds(t *testing.T) {
	const n = 1000
	s, ctx := longStream(t, n)

	// The first look is before the read; the second comes within the scan.
	_, err := s.ReadStream(&endsAfter{Context: ctx, n: 2}, "long", 0, 0)
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.ReadStreamBackward(&endsAfter{Context: ctx, n: 2}, "long", math.MaxUint64, 0)
	require.ErrorIs(t, err, context.Canceled)

	got, err := s.ReadStream(&endsAfter{Context: ctx, n: 2}, "long", 0, 100)
	require.NoError(t, err, "a read shorter than one check's rows finishes")
	assert.Len(t, got, 100)
	got, err = s.ReadStream(&endsAfter{Context: ctx, n: n}, "long", 0, 0)
	require.NoError(t, err)
	assert.Len(t, got, n)
}

// TestALongLogReadStopsWhenItsCallerEnds: a read of the global log, like a
// stream read, runs without handing its context to the driver (no watcher
// goroutines per read, which a follower's chunked reads paid on the
// goroutine its decoders wait for), but it looks at the context as it
// scans, so a hung-up caller stops a long read.
func TestALongLogReadStopsWhenItsCallerEnds(t *testing.T) {
	const n = 1000
	s, ctx := longStream(t, n)

	// The first look is before the read; the second comes within the scan.
	_, err := s.ReadAll(&endsAfter{Context: ctx, n: 2}, 0, 0)
	require.ErrorIs(t, err, context.Canceled)
	got, err := s.ReadAll(&endsAfter{Context: ctx, n: 2}, 0, 100)
	require.NoError(t, err, "a read shorter than one check's rows finishes")
	assert.Len(t, got, 100)
	got, err = s.ReadAll(&endsAfter{Context: ctx, n: n}, 0, 0)
	require.NoError(t, err)
	assert.Len(t, got, n)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.ReadAll(cancelled, 0, 0)
	require.ErrorIs(t, err, context.Canceled, "an ended context reads nothing")
}

// longStream is a store holding one stream "long" of n events.
func longStream(t *testing.T, n int) (*sqlite.Store, context.Context) {
	t.Helper()
	s, _ := openStore(t, sqlite.Config{})
	ctx := context.Background()
	evs := make([]eventstore.EventData, n)
	for i := range evs {
		evs[i] = eventstore.EventData{ID: uuid.New(), Type: "t", Revision: uint64(i), Data: []byte(`{"i":1}`)}
	}
	_, err := s.Append(ctx, "long", eventstore.NoStream(), evs)
	require.NoError(t, err)
	return s, ctx
}
