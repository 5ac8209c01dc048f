package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/groupcommit"
	"github.com/disputes-ledger/disputes/eventstore/internal/subscription"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrClosed is returned by operations on a closed Store, and reported by the
// Err of subscriptions the Close ended.
var ErrClosed = errors.New("event store closed")

// Store is the SQLite event store. It implements eventstore.Store; all methods
// are safe for concurrent use.
type Store struct {
	cfg Config

	// wdb holds exactly one connection, used only by the writer goroutine
	// (and by migrate before it starts), which holds it as wconn for the
	// store's lifetime.
	wdb   *sql.DB
	wconn *sql.Conn
	w     writeStmts
	rows  rowInserts
	// known, batchHeads and pending are the writer's (batch.go).
	known      *knownHeads
	batchHeads map[string]uint64
	pending    []int

	// rdb is the read pool.
	rdb *sql.DB
	r   readStmts

	queue   *groupcommit.Queue
	done    chan struct{} // closed by Close: stop taking work
	commits *subscription.Notifier
	feed    *subscription.Feed

	closeOnce sync.Once
	closeErr  error

	stats groupcommit.Stats

	// readOnly is set by OpenReadOnly: there is no writer connection.
	readOnly bool
}

var _ eventstore.Store = (*Store)(nil)

// Open opens the ledger in the SQLite file at path, creating it if there is
// no file, applies pending schema migrations, and starts the writer. A file
// that exists but is not a ledger is refused with an error wrapping
// ErrNotLedger. Close the store to stop the writer and release the file.
func Open(ctx context.Context, path string, cfg Config) (*Store, error) {
	return open(ctx, path, cfg, false)
}

// Init creates a ledger at path where there is no file or an empty one
// (zero bytes, or an SQLite database without any table), or migrates the
// ledger already there. Anything else is refused with ErrNotLedger.
func Init(ctx context.Context, path string) error {
	s, err := open(ctx, path, Config{}, true)
	if err != nil {
		return err
	}
	return s.Close()
}

func open(ctx context.Context, path string, cfg Config, initEmpty bool) (_ *Store, err error) {
	if err := checkPath(path); err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("open event store %s: %w", path, err)
	}
	cfg.setDefaults()
	s := newStore(cfg)
	defer func() {
		if err != nil {
			err = errors.Join(fmt.Errorf("open event store %s: %w", path, err), s.closeDBs())
		}
	}()

	// A file that exists must already be a ledger: nothing else (an empty
	// file, a text file, another application's database) is silently
	// turned into one. Only Init takes an empty file.
	if _, statErr := os.Stat(path); statErr == nil {
		if err := checkFile(ctx, path, initEmpty); err != nil {
			return nil, err
		}
	}
	if s.wdb, err = sql.Open("sqlite", writerDSN(path, cfg.BusyTimeout, cfg.mapSize())); err != nil {
		return nil, err
	}
	// One connection that lives as long as the store: its prepared
	// statements are reused by every batch.
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	s.wdb.SetConnMaxIdleTime(0)
	// A newer schema is left to migrate, which says so.
	if err := migrate(ctx, s.wdb); err != nil {
		return nil, err
	}
	if err := s.w.prepare(ctx, s.wdb); err != nil {
		return nil, err
	}
	if s.wconn, err = s.wdb.Conn(ctx); err != nil {
		return nil, err
	}
	s.rows.conn = s.wconn

	if s.rdb, err = sql.Open("sqlite", dsn(path, cfg.BusyTimeout, true, cfg.mapSize())); err != nil {
		return nil, err
	}
	s.rdb.SetMaxOpenConns(cfg.ReadConns)
	s.rdb.SetMaxIdleConns(cfg.ReadConns)
	if err := s.r.prepare(ctx, s.rdb); err != nil {
		return nil, err
	}

	go s.queue.RunBatches(s.commit)
	return s, nil
}

// newStore returns a store with its queue and feed, and no connections yet.
func newStore(cfg Config) *Store {
	s := &Store{
		cfg:        cfg,
		done:       make(chan struct{}),
		commits:    subscription.NewNotifier(),
		known:      newKnownHeads(maxKnownHeads),
		batchHeads: make(map[string]uint64),
	}
	s.queue = groupcommit.New(groupcommit.Config{
		MaxBatch: cfg.MaxBatch, QueueSize: cfg.QueueSize, Linger: cfg.MaxBatchWait, ErrClosed: ErrClosed,
	}, s.done)
	s.feed = subscription.NewFeed(subscription.Source{
		Read: s.readAll, Batch: cfg.SubscriptionBatch, Poll: cfg.PollInterval,
		Commits: s.commits, Done: s.done, ErrClosed: ErrClosed,
	})
	return s
}

// Close stops the writer once it has answered every queued append, ends all
// subscriptions (their Err reports ErrClosed) and closes the connections.
// It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.feed.Stop()
		close(s.done)
		<-s.queue.Stopped()
		s.feed.Wait()
		s.closeErr = s.closeDBs()
	})
	return s.closeErr
}

func (s *Store) closeDBs() error {
	var errs []error
	// The writer's statements before its connection goes back to the pool.
	errs = append(errs, s.rows.close(), s.w.close(), s.r.close())
	if s.wconn != nil {
		errs = append(errs, s.wconn.Close())
	}
	if s.rdb != nil {
		errs = append(errs, s.rdb.Close())
	}
	if s.wdb != nil {
		errs = append(errs, s.wdb.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close event store: %w", err)
	}
	return nil
}
