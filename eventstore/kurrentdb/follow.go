package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// catchUp reads $all from where the index stands to its current end, page
// by page, indexing the store's events. It reads rather than subscribes so
// that it knows when it has reached the end whatever the server version
// (older servers send no "caught up").
func (s *Store) catchUp(ctx context.Context) error {
	for {
		sent, fresh, err := s.readPage(ctx)
		if err != nil {
			return err
		}
		// A read from a position may include the event at it, which the
		// index already has: a page with nothing new is the end too.
		if sent < s.cfg.ReadBatch || fresh == 0 {
			return nil
		}
	}
}

// readPage indexes one page of $all after the index's last position and
// returns how many events the server sent and how many were new to it.
func (s *Store) readPage(ctx context.Context) (sent, fresh int, err error) {
	rs, err := s.client.ReadAll(ctx, esdb.ReadAllOptions{From: s.idx.resume()}, uint64(s.cfg.ReadBatch))
	if err != nil {
		return 0, 0, fmt.Errorf("read $all: %w", s.opErr(ctx, err))
	}
	defer rs.Close()
	for {
		re, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return sent, fresh, nil
		}
		if err != nil {
			return sent, fresh, fmt.Errorf("read $all: %w", s.opErr(ctx, err))
		}
		sent++
		if s.observe(re.OriginalEvent()) {
			fresh++
		}
	}
}

// observe indexes e if it is one of the store's events, and reports whether
// e was new to the index (a read resuming from a position may repeat it).
func (s *Store) observe(e *esdb.RecordedEvent) bool {
	if e == nil || !s.idx.isNew(e.Position) {
		return false
	}
	if le, ok := s.decode(e); ok {
		s.idx.add(entry{id: le.ID, stream: le.Stream, revision: le.Revision, pos: e.Position})
	} else {
		s.idx.advance(e.Position)
	}
	return true
}

// follow keeps the index up to date with a filtered catch-up subscription
// to $all until the store closes, resubscribing from where it stopped when
// the server drops it.
func (s *Store) follow() {
	defer s.wg.Done()
	for {
		err := s.followOnce()
		if s.ctx.Err() != nil {
			return
		}
		s.idx.setErr(err)
		s.cfg.Logger(esdb.LogWarn, "kurrentdb: index follower: %v; resubscribing", err)
		select {
		case <-time.After(s.cfg.RetryInterval):
		case <-s.ctx.Done():
			return
		}
	}
}

// followOnce runs one subscription until it drops.
func (s *Store) followOnce() error {
	sub, err := s.client.SubscribeToAll(s.ctx, esdb.SubscribeToAllOptions{From: s.idx.resume(), Filter: &s.filter})
	if err != nil {
		return fmt.Errorf("subscribe to $all: %w", err)
	}
	defer sub.Close()
	for {
		ev := sub.Recv()
		switch {
		case ev.SubscriptionDropped != nil:
			return fmt.Errorf("subscription dropped: %w", ev.SubscriptionDropped.Error)
		case ev.EventAppeared != nil:
			s.observe(ev.EventAppeared.OriginalEvent())
		}
	}
}
