package kurrentdb

import (
	"context"
	"sync"

	"github.com/google/uuid"
)

// inflight serialises the appends of this process that share an event id,
// so that the second one sees the first one's outcome in the index: an id
// can then not be written to two streams by two concurrent appends of one
// process (across processes see the package doc).
type inflight struct {
	mu  sync.Mutex
	ids map[uuid.UUID]chan struct{}
}

func newInflight() *inflight { return &inflight{ids: make(map[uuid.UUID]chan struct{})} }

// acquire reserves ids, first waiting for any append holding one of them.
// The caller must call release when its append is over.
func (f *inflight) acquire(ctx context.Context, ids []uuid.UUID) (release func(), err error) {
	for {
		f.mu.Lock()
		var busy chan struct{}
		for _, id := range ids {
			if ch, ok := f.ids[id]; ok {
				busy = ch
				break
			}
		}
		if busy == nil {
			done := make(chan struct{})
			for _, id := range ids {
				f.ids[id] = done
			}
			f.mu.Unlock()
			return func() {
				f.mu.Lock()
				for _, id := range ids {
					delete(f.ids, id)
				}
				f.mu.Unlock()
				close(done)
			}, nil
		}
		f.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
