package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/groupcommit"
	"github.com/disputes-ledger/disputes/eventstore/internal/subscription"
	"github.com/disputes-ledger/disputes/internal/pgmigrate"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrClosed is returned by operations on a closed Store, and reported by the
// Err of subscriptions the Close ended.
var ErrClosed = errors.New("event store closed")

// Store is the PostgreSQL event store. It implements eventstore.Store; all
// methods are safe for concurrent use.
type Store struct {
	cfg     Config
	pool    *pgxpool.Pool
	schema  string // unquoted
	t       tables
	q       queries
	channel string // LISTEN/NOTIFY channel, one per schema

	queue   *groupcommit.Queue
	done    chan struct{} // closed by Close: stop taking work
	commits *subscription.Notifier
	feed    *subscription.Feed

	listenCtx    context.Context // ends at Close
	stopListen   context.CancelFunc
	listenDone   chan struct{}
	listenerOnce sync.Once

	closeOnce sync.Once

	stats groupcommit.Stats

	// commitDelay, when set (by tests), returns a pause the server takes
	// after a batch's inserts and before its COMMIT, while the batch holds
	// the head lock.
	commitDelay func() time.Duration
}

var _ eventstore.Store = (*Store)(nil)

// Open connects to the database at connString (a PostgreSQL URL or DSN as
// pgx accepts them, including pool_* parameters), applies pending schema
// migrations and starts the writer. Close it to stop the writer and close
// the pool.
func Open(ctx context.Context, connString string, cfg Config) (_ *Store, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	cfg.setDefaults()
	pool, schema, err := pgmigrate.Connect(ctx, connString, cfg.Schema, cfg.ReadOnly)
	if err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	defer func() {
		if err != nil {
			pool.Close()
		}
	}()
	t := newTables(schema)
	if cfg.ReadOnly {
		if err := checkReadable(ctx, pool, schema); err != nil {
			return nil, fmt.Errorf("open event store in schema %s: %w", schema, err)
		}
	} else if err := migrate(ctx, pool, t, schema); err != nil {
		return nil, fmt.Errorf("open event store in schema %s: %w", schema, err)
	}

	s := &Store{
		cfg:        cfg,
		pool:       pool,
		schema:     schema,
		t:          t,
		q:          newQueries(t),
		channel:    channelName(schema),
		done:       make(chan struct{}),
		commits:    subscription.NewNotifier(),
		listenDone: make(chan struct{}),
	}
	s.queue = groupcommit.New(groupcommit.Config{
		MaxBatch: cfg.MaxBatch, QueueSize: cfg.QueueSize, Yield: true, Rules: rules, ErrClosed: ErrClosed,
	}, s.done)
	s.feed = subscription.NewFeed(subscription.Source{
		Read: s.readAll, Batch: cfg.SubscriptionBatch, Poll: cfg.PollInterval,
		Commits: s.commits, Done: s.done, ErrClosed: ErrClosed,
	})
	s.listenCtx, s.stopListen = context.WithCancel(context.Background())
	go s.queue.Run(s.commitBatch)
	return s, nil
}

// Pool returns the store's connection pool, for read models that keep their
// tables in the same database. They must not write the store's tables
// (eventstore_*); reading them is fine but ReadAll/Subscribe is the
// supported interface. The pool is closed by Close.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Schema returns the (unquoted) name of the schema holding the store's tables.
func (s *Store) Schema() string { return s.schema }

// Close stops the writer once it has answered every queued append, ends all
// subscriptions (their Err reports ErrClosed), stops the listener and closes
// the pool. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.feed.Stop()
		close(s.done)
		<-s.queue.Stopped()
		s.feed.Wait()
		s.stopListen()
		s.listenerOnce.Do(func() { close(s.listenDone) }) // never started: nothing to wait for
		<-s.listenDone
		s.pool.Close() // pgxpool reports no close errors
	})
	return nil
}

// channelName is the NOTIFY channel of a schema's store. Channel names are
// identifiers, so a long schema name is replaced by a digest.
func channelName(schema string) string {
	const prefix = "eventstore."
	if len(prefix)+len(schema) <= maxIdentifier {
		return prefix + schema
	}
	sum := sha256.Sum256([]byte(schema))
	return prefix + hex.EncodeToString(sum[:16])
}
