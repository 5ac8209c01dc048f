package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/disputes-ledger/disputes/eventstore"
)

// ErrClosed is returned by operations on a closed Store.
var ErrClosed = errors.New("kurrentdb: store closed")

// Store is the KurrentDB backend of eventstore.Store. Open one per process
// and share it: it keeps the position index in memory.
type Store struct {
	cfg      Config
	client   *esdb.Client
	idx      *index
	filter   esdb.SubscriptionFilter
	match    typeMatcher
	inflight *inflight

	// ctx ends when the store closes; the index follower and every
	// subscription run under it.
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup // index follower and subscriptions
}

var _ eventstore.Store = (*Store)(nil)

// Open connects to the server at url (see ParseURL), builds the position
// index by reading $all from the start, and keeps following it. Open
// returns once the index has caught up with the log as it was when Open
// began reading.
func Open(ctx context.Context, url string, cfg Config) (*Store, error) {
	conf, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	conf.Logger = cfg.Logger
	client, err := esdb.NewClient(conf)
	if err != nil {
		return nil, fmt.Errorf("kurrentdb: connect: %w", err)
	}
	s := &Store{
		cfg:      cfg,
		client:   client,
		idx:      newIndex(),
		filter:   serverFilter(cfg.EventTypePrefixes),
		match:    newTypeMatcher(cfg.EventTypePrefixes),
		inflight: newInflight(),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.catchUp(ctx); err != nil {
		s.cancel()
		_ = client.Close()
		return nil, fmt.Errorf("kurrentdb: build position index: %w", err)
	}
	s.wg.Add(1)
	go s.follow()
	return s, nil
}

// Close stops the index follower and every subscription, and disconnects.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return s.client.Close()
}

// begin registers a background goroutine unless the store is closed.
func (s *Store) begin() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.wg.Add(1)
	return nil
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// streamName is the server's name for a ledger stream.
func (s *Store) streamName(stream string) string { return s.cfg.Namespace + stream }

// opErr is the error for an operation that failed with err: the context's
// error when ctx ended (the client reports that as a gRPC status), ErrClosed
// when the store closed, else err.
func (s *Store) opErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if s.isClosed() {
		return ErrClosed
	}
	return err
}

// esdbCode is the client's error code of err, or ErrorCodeUnknown.
func esdbCode(err error) esdb.ErrorCode {
	var e *esdb.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return esdb.ErrorCodeUnknown
}
