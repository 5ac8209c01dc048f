package follow

import (
	"context"
	"fmt"
	"sync"

	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
)

// A long page is read in chunks of decodeChunk events, and each chunk is
// decoded in pieces of decodePiece events, each on a goroutine of its own,
// while the next chunk is read: reading the log and decoding it overlap, and
// when the read waits (or is done) the pieces still to decode spread over
// every core, so that on two cores a scan with strict decoding runs at about
// the raw scan's speed. Nothing is read beyond the one page ahead.
const (
	decodeChunk = 1024
	decodePiece = 256
)

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
	// The first chunk was full: the page most likely is too, so its events
	// are decoded straight into their places.
	evs := make([]Event, limit)
	var (
		wg sync.WaitGroup
		n  int
	)
	decode := func(recs []eventstore.RecordedEvent) {
		for len(recs) > 0 {
			piece, out := recs[:min(decodePiece, len(recs))], evs[n:]
			recs, n = recs[len(piece):], n+len(piece)
			wg.Go(func() {
				for i, rec := range piece {
					out[i].Record = rec
					// ReadAll's records are this page's own copies: the
					// envelopes may share their bytes.
					out[i].Env, out[i].Err = events.DecodeOwned(rec.Data)
				}
			})
		}
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
		decode(recs)
		if len(recs) < ask {
			tail = true
			break
		}
	}
	wg.Wait()
	return read{page: Page{Events: evs[:n], Tail: tail}}
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
