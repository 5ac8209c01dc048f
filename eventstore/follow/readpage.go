package follow

import (
	"context"
	"fmt"
	"sync"

	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
)

// decodeChunk is how many events one read of a page asks for when the page
// is decoded: each chunk is decoded on a goroutine of its own while the next
// one is read, so that reading the log and decoding it overlap (on two cores
// a scan with strict decoding then runs at about the raw scan's speed)
// while nothing is read beyond the one page ahead.
const decodeChunk = 1024

// readPage reads and decodes (unless Raw) the page of up to limit events
// after after. A page whose first chunk is short, the head of the log as a
// live follower usually finds it, is read and decoded as one.
func (f *Follower) readPage(ctx context.Context, after uint64, limit int) read {
	first := limit
	if !f.cfg.Raw {
		first = min(limit, decodeChunk)
	}
	recs, err := f.readChunk(ctx, after, first)
	if err != nil {
		return read{err: err}
	}
	if len(recs) < first || first == limit {
		return read{page: pageOf(recs, f.cfg.Raw, len(recs) < limit, events.DecodeOwned)}
	}
	var (
		wg     sync.WaitGroup
		chunks [][]Event
		n      int
	)
	decode := func(recs []eventstore.RecordedEvent) {
		evs := make([]Event, len(recs))
		chunks = append(chunks, evs)
		n += len(recs)
		wg.Go(func() {
			for i, rec := range recs {
				evs[i].Record = rec
				// ReadAll's records are this page's own copies: the
				// envelopes may share their bytes.
				evs[i].Env, evs[i].Err = events.DecodeOwned(rec.Data)
			}
		})
	}
	decode(recs)
	tail := false
	for n < limit {
		ask := min(decodeChunk, limit-n)
		recs, err = f.readChunk(ctx, recs[len(recs)-1].Position, ask)
		if err != nil {
			wg.Wait()
			return read{err: err}
		}
		if len(recs) > 0 {
			decode(recs)
		}
		if len(recs) < ask {
			tail = true
			break
		}
	}
	wg.Wait()
	page := Page{Events: make([]Event, 0, n), Tail: tail}
	for _, c := range chunks {
		page.Events = append(page.Events, c...)
	}
	return read{page: page}
}

// readChunk reads up to limit events after after, which must continue the
// log right after it.
func (f *Follower) readChunk(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	recs, err := f.cfg.Log.ReadAll(ctx, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read the log after position %d: %w", after, err)
	}
	if err := checkNext(recs, after); err != nil {
		return nil, err
	}
	return recs, nil
}
