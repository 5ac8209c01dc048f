package kurrentdb

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIndex(t *testing.T) {
	x := newIndex()
	a, b := uuid.New(), uuid.New()
	x.add(entry{id: a, stream: "s", revision: 0, pos: esdb.Position{Commit: 10, Prepare: 10}})
	x.add(entry{id: b, stream: "s", revision: 1, pos: esdb.Position{Commit: 30, Prepare: 20}})
	// A foreign writer reused a's id: the index keeps both events apart.
	x.add(entry{id: a, stream: "t", revision: 0, pos: esdb.Position{Commit: 30, Prepare: 25}})

	assert.Equal(t, uint64(3), x.len())
	for _, tc := range []struct {
		id     uuid.UUID
		stream string
		rev    uint64
		pos    uint64
		ok     bool
	}{
		{a, "s", 0, 1, true},
		{b, "s", 1, 2, true},
		{a, "t", 0, 3, true},
		{a, "s", 1, 0, false},
		{uuid.New(), "s", 0, 0, false},
	} {
		pos, ok := x.position(tc.id, tc.stream, tc.rev)
		assert.Equal(t, tc.ok, ok, "%s@%d", tc.stream, tc.rev)
		assert.Equal(t, tc.pos, pos, "%s@%d", tc.stream, tc.rev)
	}
	assert.Equal(t, esdb.Position{Commit: 30, Prepare: 25}, x.resume())
	assert.False(t, x.isNew(esdb.Position{Commit: 30, Prepare: 20}), "before the last position")
	assert.True(t, x.isNew(esdb.Position{Commit: 31, Prepare: 31}))
	x.advance(esdb.Position{Commit: 40, Prepare: 40})
	assert.Equal(t, esdb.Position{Commit: 40, Prepare: 40}, x.resume(), "other events move the resume point")
	assert.Equal(t, uint64(3), x.len(), "but not the count")
}

// BenchmarkIndexMemory reports the index's memory per ledger event, for
// tickets of 10 events each.
func BenchmarkIndexMemory(b *testing.B) {
	const events = 200_000
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		x := newIndex()
		for i := range events {
			// Each event's stream name arrives as its own string, as from the client.
			name := strings.Clone(fmt.Sprintf("ticket-%08d", i/10))
			x.add(entry{id: uuid.New(), stream: name, revision: uint64(i % 10), pos: esdb.Position{Commit: uint64(i) * 300, Prepare: uint64(i) * 300}})
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		require.Equal(b, uint64(events), x.len())
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/events, "B/event")
		runtime.KeepAlive(x)
	}
}
