package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/disputes-ledger/disputes/eventstore"
)

// expectedAllows reports whether expected agrees with the revision the
// first event carries; the server then checks that revision.
func expectedAllows(expected eventstore.ExpectedRevision, first uint64) bool {
	switch rev, exact := expected.Revision(); {
	case expected.IsNoStream():
		return first == 0
	case exact:
		return first > 0 && first-1 == rev
	default:
		return true
	}
}

// consecutive reports whether the events carry revisions r, r+1, ….
func consecutive(events []eventstore.EventData) bool {
	for i, e := range events {
		if e.Revision != events[0].Revision+uint64(i) {
			return false
		}
	}
	return true
}

// conflict builds the error for an append the stream's state refuses: a
// *eventstore.ConcurrencyError when expected does not hold, else (expected
// holds but the events carry other revisions) a plain ErrConcurrency.
func (s *Store) conflict(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) error {
	last, exists, err := s.head(ctx, stream)
	if err != nil {
		return fmt.Errorf("%w (and reading the stream's head failed: %v)", eventstore.ErrConcurrency, err)
	}
	if !expected.Allows(last, exists) {
		return &eventstore.ConcurrencyError{Stream: stream, Expected: expected, Actual: last, Exists: exists}
	}
	next := uint64(0)
	if exists {
		next = last + 1
	}
	for i, e := range events {
		if want := next + uint64(i); e.Revision != want {
			return fmt.Errorf("event %s carries revision %d, the store assigns %d: %w", e.ID, e.Revision, want, eventstore.ErrConcurrency)
		}
	}
	// The stream moved between the server's answer and this read.
	return fmt.Errorf("stream %s changed while appending: %w", stream, eventstore.ErrConcurrency)
}

// head returns the stream's last revision, or exists=false.
func (s *Store) head(ctx context.Context, stream string) (last uint64, exists bool, err error) {
	rs, err := s.client.ReadStream(ctx, s.streamName(stream), esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	if err != nil {
		return 0, false, s.opErr(ctx, err)
	}
	defer rs.Close()
	e, err := rs.Recv()
	switch {
	case esdbCode(err) == esdb.ErrorCodeResourceNotFound, errors.Is(err, io.EOF):
		return 0, false, nil
	case err != nil:
		return 0, false, s.opErr(ctx, err)
	}
	return e.OriginalEvent().EventNumber, true, nil
}
