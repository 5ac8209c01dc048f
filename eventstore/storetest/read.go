package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"math"
	"testing"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testReadStream(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	const stream = "read"
	// Interleave another stream so stream positions are not contiguous.
	var want []eventstore.EventData
	for rev := range uint64(10) {
		evs := newEvents(stream, rev, 1)
		_, err := s.Append(ctx, stream, expectAfter(rev), evs)
		require.NoError(t, err)
		want = append(want, evs...)
		_, err = s.Append(ctx, "read-noise", expectAfter(rev), newEvents("read-noise", rev, 1))
		require.NoError(t, err)
	}
	positions := make(map[uint64]uint64) // revision → position in the global log
	for _, e := range readAll(t, s, 0, 100) {
		if e.Stream == stream {
			positions[e.Revision] = e.Position
		}
	}

	for _, tc := range []struct {
		name     string
		backward bool
		from     uint64
		limit    int
		wantRevs []uint64
	}{
		{"all", false, 0, 0, []uint64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"negative limit means all", false, 0, -1, []uint64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"from the middle with a limit", false, 3, 2, []uint64{3, 4}},
		{"limit past the end", false, 8, 5, []uint64{8, 9}},
		{"last event", false, 9, 0, []uint64{9}},
		{"past the end", false, 10, 0, []uint64{}},
		{"far past the end", false, math.MaxUint64, 10, []uint64{}},
		{"backward from the end", true, math.MaxUint64, 3, []uint64{9, 8, 7}},
		{"backward all", true, math.MaxUint64, 0, []uint64{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{"backward from the middle", true, 4, 0, []uint64{4, 3, 2, 1, 0}},
		{"backward from past the end", true, 100, 2, []uint64{9, 8}},
		{"backward from the first", true, 0, 5, []uint64{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				got []eventstore.RecordedEvent
				err error
			)
			if tc.backward {
				got, err = s.ReadStreamBackward(ctx, stream, tc.from, tc.limit)
			} else {
				got, err = s.ReadStream(ctx, stream, tc.from, tc.limit)
			}
			require.NoError(t, err)
			wantEvs := make([]eventstore.EventData, len(tc.wantRevs))
			for i, rev := range tc.wantRevs {
				wantEvs[i] = want[rev]
			}
			assertEvents(t, stream, wantEvs, got)
			for _, e := range got {
				assert.Equal(t, positions[e.Revision], e.Position, "position of revision %d", e.Revision)
			}
		})
	}
}

func testReadMissingStream(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	seed(t, s, "present", 2)
	seed(t, s, "missing-not", 1) // a name sharing a prefix must not count
	for _, tc := range []struct {
		name string
		read func() ([]eventstore.RecordedEvent, error)
	}{
		{"forward", func() ([]eventstore.RecordedEvent, error) { return s.ReadStream(ctx, "missing", 0, 0) }},
		{"forward from a revision", func() ([]eventstore.RecordedEvent, error) { return s.ReadStream(ctx, "missing", 5, 10) }},
		{"backward", func() ([]eventstore.RecordedEvent, error) {
			return s.ReadStreamBackward(ctx, "missing", math.MaxUint64, 0)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.read()
			require.ErrorIs(t, err, eventstore.ErrStreamNotFound)
			assert.Empty(t, got)
		})
	}
	t.Run("existing stream past its end is not missing", func(t *testing.T) {
		got, err := s.ReadStream(ctx, "present", 2, 0)
		require.NoError(t, err)
		assert.Empty(t, got)
	})
}

func testLargeStream(t *testing.T, s eventstore.Store) {
	const (
		total = 5000
		batch = 100
	)
	ctx := context.Background()
	const stream = "large"
	var want []eventstore.EventData
	for from := uint64(0); from < total; from += batch {
		evs := newEvents(stream, from, batch)
		res, err := s.Append(ctx, stream, expectAfter(from), evs)
		require.NoError(t, err)
		require.Equal(t, from+batch-1, res.NextExpected)
		want = append(want, evs...)
	}

	got, err := s.ReadStream(ctx, stream, 0, 0)
	require.NoError(t, err)
	assertEvents(t, stream, want, got)
	assertGapFree(t, got, 1) // the only stream: its positions are the log's

	var paged []eventstore.RecordedEvent
	for from := uint64(0); ; {
		page, err := s.ReadStream(ctx, stream, from, 1000)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		from = page[len(page)-1].Revision + 1
	}
	assert.Equal(t, got, paged, "paged reads must match one full read")

	tail, err := s.ReadStreamBackward(ctx, stream, math.MaxUint64, 10)
	require.NoError(t, err)
	require.Len(t, tail, 10)
	assert.Equal(t, uint64(total-1), tail[0].Revision)
	assert.Equal(t, uint64(total-10), tail[9].Revision)

	assert.Equal(t, got, readAll(t, s, 0, 1000))
}

func testReadAll(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	streams := []string{"all-a", "all-b", "all-c"}
	next := make(map[string]uint64)
	var (
		want []eventstore.EventData // in append order
		last uint64                 // LastPosition of the latest append
	)
	for i := range 30 {
		stream := streams[i%len(streams)]
		n := 1 + i%3 // mix single events and batches
		evs := newEvents(stream, next[stream], n)
		res, err := s.Append(ctx, stream, expectAfter(next[stream]), evs)
		require.NoError(t, err)
		next[stream] += uint64(n)
		want = append(want, evs...)
		require.Equal(t, last+uint64(n), res.LastPosition, "positions of append %d", i)
		last = res.LastPosition
	}

	all, err := s.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, all, len(want))
	assertGapFree(t, all, 1)
	for i, e := range all {
		assert.Equal(t, want[i].ID, e.ID, "event at position %d", e.Position)
		assert.Equal(t, want[i].Revision, e.Revision)
		assert.Equal(t, string(want[i].Data), string(e.Data))
	}

	for _, batch := range []int{1, 7, 1000} {
		t.Run(fmt.Sprintf("batches of %d", batch), func(t *testing.T) {
			assert.Equal(t, all, readAll(t, s, 0, batch))
		})
	}
	t.Run("from a position", func(t *testing.T) {
		got, err := s.ReadAll(ctx, 10, 5)
		require.NoError(t, err)
		assert.Equal(t, all[10:15], got)
	})
	t.Run("from the last position", func(t *testing.T) {
		got, err := s.ReadAll(ctx, last-1, 5)
		require.NoError(t, err)
		assert.Equal(t, all[len(all)-1:], got)
		got, err = s.ReadAll(ctx, last, 5)
		require.NoError(t, err)
		assert.Empty(t, got)
		got, err = s.ReadAll(ctx, math.MaxUint64, 5)
		require.NoError(t, err)
		assert.Empty(t, got)
	})
}

func testDataRoundTrip(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	big := make([]byte, 1<<20)
	_, _ = rand.Read(big)
	payloads := []struct {
		typ  string
		data []byte
	}{
		{"empty", []byte{}},
		{"nil", nil}, // zero bytes too: comes back empty
		{"zeros", make([]byte, 64)},
		{"every byte value", allBytes},
		{"invalid utf-8", []byte{0xff, 0xfe, 0xc3, 0x28, 0x00, 'x'}},
		{"json.unicode", []byte(`{"note":"réclamation – 払い戻し","amount":"12.30"}`)},
		{"one mebibyte", big},
	}
	evs := newEvents("bytes", 0, len(payloads))
	for i, p := range payloads {
		evs[i].Type, evs[i].Data = p.typ, bytes.Clone(p.data)
	}
	_, err := s.Append(ctx, "bytes", eventstore.NoStream(), evs)
	require.NoError(t, err)
	for i := range evs {
		if len(evs[i].Data) > 0 {
			evs[i].Data[0] ^= 0xff // the store must have kept its own copy
		}
	}

	check := func(t *testing.T, got []eventstore.RecordedEvent) {
		t.Helper()
		require.Len(t, got, len(payloads))
		for i, p := range payloads {
			assert.Equal(t, p.typ, got[i].Type)
			assert.True(t, bytes.Equal(p.data, got[i].Data), "%s: bytes differ (got %d bytes, want %d)", p.typ, len(got[i].Data), len(p.data))
		}
	}
	t.Run("ReadStream", func(t *testing.T) {
		got, err := s.ReadStream(ctx, "bytes", 0, 0)
		require.NoError(t, err)
		check(t, got)
		got[2].Data[0] ^= 0xff // nor may it hand out its own buffers
		again, err := s.ReadStream(ctx, "bytes", 0, 0)
		require.NoError(t, err)
		check(t, again)
	})
	t.Run("ReadAll", func(t *testing.T) {
		got, err := s.ReadAll(ctx, 0, 0)
		require.NoError(t, err)
		check(t, got)
	})
	t.Run("Subscribe", func(t *testing.T) {
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		sub, err := s.Subscribe(sctx, 0)
		require.NoError(t, err)
		check(t, receive(t, sub, len(payloads)))
	})
}
