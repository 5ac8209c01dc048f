package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/appendcheck"
)

// conflict builds the error for an append the stream's state refuses: a
// *eventstore.ConcurrencyError when expected does not hold, else (expected
// holds but the events carry other revisions) a plain ErrConcurrency.
func (s *Store) conflict(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) error {
	last, exists, err := s.head(ctx, stream)
	if err != nil {
		return fmt.Errorf("%w (and reading the stream's head failed: %v)", eventstore.ErrConcurrency, err)
	}
	head := appendcheck.Head{Last: last, Exists: exists}
	if err := appendcheck.CheckExpected(stream, expected, head); err != nil {
		return err
	}
	if err := appendcheck.CheckRevisions(events, head.Next()); err != nil {
		return err
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
