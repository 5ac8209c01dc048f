package kurrentdb

import (
	"context"
	"fmt"
	"sync"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/disputes-ledger/disputes/eventstore/internal/appendcheck"
	"github.com/google/uuid"
)

// entry is what the index keeps of one ledger event.
type entry struct {
	id       uuid.UUID
	stream   string // ledger name, without the namespace
	revision uint64
	pos      esdb.Position
}

// streamRev names an event by where it is.
type streamRev struct {
	stream   string
	revision uint64
}

// index maps the store's dense global positions (1, 2, …) to the server's
// $all positions and back, and event ids to positions. Entry i holds
// position i+1. It only grows, in $all order.
type index struct {
	mu      sync.Mutex
	entries []entry
	byID    map[uuid.UUID]uint64
	// dupes holds the positions of events whose id an earlier event already
	// has. The store never writes such events, but a foreign writer could.
	dupes map[streamRev]uint64
	// names interns stream names: entries of one stream share one string.
	names map[string]string
	// last is the $all position the follower has read up to (any event, the
	// store's or not); seen is false until it has read one.
	last    esdb.Position
	seen    bool
	changed chan struct{} // closed and replaced when entries grow
	err     error         // why the follower is not following, while it is not
}

func newIndex() *index {
	return &index{
		byID:    make(map[uuid.UUID]uint64),
		dupes:   make(map[streamRev]uint64),
		names:   make(map[string]string),
		changed: make(chan struct{}),
	}
}

// after reports whether a sorts after b in $all.
func after(a, b esdb.Position) bool {
	return a.Commit > b.Commit || (a.Commit == b.Commit && a.Prepare > b.Prepare)
}

// isNew reports whether the $all event at p lies beyond what the index has
// read; reads and subscriptions that resume from last may repeat it.
func (x *index) isNew(p esdb.Position) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return !x.seen || after(p, x.last)
}

// advance records that $all has been read up to p.
func (x *index) advance(p esdb.Position) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.seen || after(p, x.last) {
		x.last, x.seen = p, true
	}
}

// add appends a ledger event read from $all at p.
func (x *index) add(e entry) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if name, ok := x.names[e.stream]; ok {
		e.stream = name
	} else {
		x.names[e.stream] = e.stream
	}
	x.entries = append(x.entries, e)
	pos := uint64(len(x.entries))
	if _, dup := x.byID[e.id]; dup {
		x.dupes[streamRev{e.stream, e.revision}] = pos
	} else {
		x.byID[e.id] = pos
	}
	if !x.seen || after(e.pos, x.last) {
		x.last, x.seen = e.pos, true
	}
	x.err = nil
	close(x.changed)
	x.changed = make(chan struct{})
}

// setErr records why the follower stopped, for operations waiting on it.
func (x *index) setErr(err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.err = err
}

// resume is where the follower picks up $all: after last, or at the start.
func (x *index) resume() esdb.AllPosition {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.seen {
		return esdb.Start{}
	}
	return x.last
}

// len is the number of ledger events indexed: the highest known position.
func (x *index) len() uint64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return uint64(len(x.entries))
}

// at returns the entry at position pos (1-based).
func (x *index) at(pos uint64) (entry, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if pos == 0 || pos > uint64(len(x.entries)) {
		return entry{}, false
	}
	return x.entries[pos-1], true
}

// place is an appendcheck.Lookup: where the event with id is stored. It
// never fails.
func (x *index) place(id uuid.UUID) (appendcheck.Place, bool, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	pos, ok := x.byID[id]
	if !ok {
		return appendcheck.Place{}, false, nil
	}
	e := x.entries[pos-1]
	return appendcheck.Place{Stream: e.stream, Revision: e.revision, Position: pos}, true, nil
}

// position returns the position of the event id at stream and revision.
func (x *index) position(id uuid.UUID, stream string, revision uint64) (uint64, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.positionLocked(id, stream, revision)
}

func (x *index) positionLocked(id uuid.UUID, stream string, revision uint64) (uint64, bool) {
	pos, ok := x.byID[id]
	if !ok {
		return 0, false
	}
	if e := x.entries[pos-1]; e.stream == stream && e.revision == revision {
		return pos, true
	}
	pos, ok = x.dupes[streamRev{stream, revision}]
	return pos, ok
}

// wait blocks until ready reports true (it is called with the index locked),
// ctx ends, or stop is closed.
func (x *index) wait(ctx context.Context, stop <-chan struct{}, ready func() bool) error {
	for {
		x.mu.Lock()
		ok, changed, followErr := ready(), x.changed, x.err
		x.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			if followErr != nil {
				return fmt.Errorf("%w (index follower: %v)", ctx.Err(), followErr)
			}
			return ctx.Err()
		case <-stop:
			return ErrClosed
		}
	}
}

// waitFor waits until the event id at stream and revision is indexed and
// returns its position.
func (s *Store) waitFor(ctx context.Context, id uuid.UUID, stream string, revision uint64) (uint64, error) {
	if pos, ok := s.idx.position(id, stream, revision); ok {
		return pos, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.IndexWait)
	defer cancel()
	var pos uint64
	err := s.idx.wait(ctx, s.ctx.Done(), func() bool {
		var ok bool
		pos, ok = s.idx.positionLocked(id, stream, revision)
		return ok
	})
	if err != nil {
		return 0, fmt.Errorf("position of event %s (%s@%d): %w", id, stream, revision, err)
	}
	return pos, nil
}
