package follow_test

import (
	"context"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore/follow"
)

// TestLargePagesAreDecodedWhole reads pages longer than one decoding chunk
// (1,024 events): each is delivered whole, in order, every event decoded
// and matched with its record, a garbled one carrying its error, and only
// the page at the head marked Tail.
func TestLargePagesAreDecodedWhole(t *testing.T) {
	t.Parallel()
	store := openSQLite(t)
	var head uint64
	for seed := int64(1); head < 2100; seed++ {
		head += uint64(len(appendTickets(t, store, seed, 100)))
	}
	const page = 1030
	log := &faultyLog{Store: store, corrupt: 1028}
	var (
		got   []uint64
		sizes []int
		tails []bool
	)
	handle := func(_ context.Context, p follow.Page) error {
		sizes, tails = append(sizes, len(p.Events)), append(tails, p.Tail)
		for _, ev := range p.Events {
			got = append(got, ev.Record.Position)
			if ev.Record.Position == log.corrupt {
				assert.Error(t, ev.Err, "position %d", ev.Record.Position)
				continue
			}
			if assert.NoError(t, ev.Err, "position %d", ev.Record.Position) {
				assert.Equal(t, ev.Record.Stream, ev.Env.Stream)
				assert.Equal(t, ev.Record.Revision, ev.Env.Revision)
				assert.Equal(t, ev.Record.ID, ev.Env.ID)
			}
		}
		return nil
	}
	f := newFollower(t, follow.Config{Log: log, Start: func(context.Context) (uint64, error) { return 0, nil },
		Handle: handle, PageSize: page, StopAtHead: true})
	require.NoError(t, f.Run(context.Background()))
	assert.Equal(t, seq(1, head), got)
	full := int(head) / page
	for i, n := range sizes {
		if i < full {
			assert.Equal(t, page, n, "page %d", i)
		}
		assert.Equal(t, i == len(sizes)-1, tails[i], "page %d", i)
	}
}

// TestStoredPagesAreDecodedInPlace checks that an event read from the
// stored log is decoded from its record's own bytes (events.DecodeOwned):
// the envelope's strings lie inside Record.Data, no second copy of every
// event is made, and they read what a copying decode reads.
func TestStoredPagesAreDecodedInPlace(t *testing.T) {
	t.Parallel()
	store := openSQLite(t)
	appendTickets(t, store, 1, 40)
	var seen int
	handle := func(_ context.Context, p follow.Page) error {
		for _, ev := range p.Events {
			require.NoError(t, ev.Err)
			want, err := events.Decode(ev.Record.Data)
			require.NoError(t, err)
			assert.Equal(t, want, ev.Env)
			data := uintptr(unsafe.Pointer(unsafe.SliceData(ev.Record.Data)))
			hash := uintptr(unsafe.Pointer(unsafe.StringData(ev.Env.Hash)))
			assert.True(t, data <= hash && hash < data+uintptr(len(ev.Record.Data)),
				"position %d: the hash is read from the record's bytes, not from a copy", ev.Record.Position)
			seen++
		}
		return nil
	}
	f := newFollower(t, follow.Config{Log: store, Start: func(context.Context) (uint64, error) { return 0, nil },
		Handle: handle, PageSize: 16, StopAtHead: true})
	require.NoError(t, f.Run(context.Background()))
	assert.Positive(t, seen)
}
