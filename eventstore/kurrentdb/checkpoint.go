package kurrentdb

import (
	"errors"
	"fmt"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// ErrUnknownPosition is returned by Checkpoint for a position the index has
// not reached.
var ErrUnknownPosition = errors.New("kurrentdb: position not indexed yet")

// Checkpoint pairs a dense global position with the server's $all position
// (commit, prepare) of the event there. Position 0 (before the first event)
// has no $all position. Consumers that want to resume without relying on
// the in-memory index store the whole Checkpoint and use SubscribeFrom.
type Checkpoint struct {
	Position uint64
	Commit   uint64
	Prepare  uint64
}

func (c Checkpoint) pos() esdb.Position { return esdb.Position{Commit: c.Commit, Prepare: c.Prepare} }

// allPosition is where a subscription after c starts.
func (c Checkpoint) allPosition() esdb.AllPosition {
	if c.Position == 0 {
		return esdb.Start{}
	}
	return c.pos()
}

// Checkpoint returns the checkpoint for global position pos.
func (s *Store) Checkpoint(pos uint64) (Checkpoint, error) {
	if pos == 0 {
		return Checkpoint{}, nil
	}
	e, ok := s.idx.at(pos)
	if !ok {
		return Checkpoint{}, fmt.Errorf("checkpoint at %d (index has %d): %w", pos, s.idx.len(), ErrUnknownPosition)
	}
	return Checkpoint{Position: pos, Commit: e.pos.Commit, Prepare: e.pos.Prepare}, nil
}

// checkpointAtOrBefore is the checkpoint at pos, or at the index's end if
// pos lies beyond it.
func (s *Store) checkpointAtOrBefore(pos uint64) Checkpoint {
	cp, err := s.Checkpoint(min(pos, s.idx.len()))
	if err != nil {
		// The index only grows, so the position just read is there.
		panic(fmt.Sprintf("kurrentdb: %v", err))
	}
	return cp
}
