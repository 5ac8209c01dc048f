package follow_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/follow"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// waitTimeout bounds every wait, so a broken follower fails instead of hanging.
const waitTimeout = 20 * time.Second

func openSQLite(t testing.TB) eventstore.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ledger.db"), sqlite.Config{PollInterval: 10 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// appendTickets plays n generated tickets and appends each stream whole; it
// returns the envelopes in log order.
func appendTickets(t testing.TB, store eventstore.Store, seed int64, n int) []events.Envelope {
	t.Helper()
	pol := policy.Default()
	var all []events.Envelope
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).AddDate(0, 0, int(seed))
	for _, sc := range scenarios.Generate(seed, n, start, pol) {
		sc.TicketID = fmt.Sprintf("s%d-%s", seed, sc.TicketID) // generated ids repeat across seeds
		open := sc.Steps[0].Command.(domain.OpenTicket)
		open.TicketID = sc.TicketID
		sc.Steps[0].Command = open
		envs, err := scenarios.Play(sc, pol, func() uuid.UUID { return uuid.Must(uuid.NewV7()) })
		require.NoError(t, err)
		data := make([]eventstore.EventData, len(envs))
		for i, env := range envs {
			b, err := events.Encode(env)
			require.NoError(t, err)
			data[i] = eventstore.EventData{ID: env.ID, Type: env.Type, Revision: env.Revision, Data: b}
		}
		_, err = store.Append(context.Background(), envs[0].Stream, eventstore.NoStream(), data)
		require.NoError(t, err)
		all = append(all, envs...)
	}
	return all
}

func seq(from, to uint64) []uint64 {
	out := make([]uint64, 0, to-from+1)
	for p := from; p <= to; p++ {
		out = append(out, p)
	}
	return out
}

// consumer keeps what it handled and a committed position, as a read model
// keeps rows and its checkpoint in one transaction: a page is applied and
// committed whole, or not at all.
type consumer struct {
	mu        sync.Mutex
	committed uint64
	applied   []uint64 // positions in the order committed
	pages     []follow.Page
	starts    int
	// fail, if set, is asked before a page commits; its error aborts the
	// page (nothing of it is kept).
	fail func(page follow.Page) error
}

func (c *consumer) start(context.Context) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.starts++
	return c.committed, nil
}

func (c *consumer) handle(_ context.Context, page follow.Page) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		if err := c.fail(page); err != nil {
			return err
		}
	}
	for _, ev := range page.Events {
		if ev.Record.Position <= c.committed {
			return fmt.Errorf("position %d delivered again after commit %d", ev.Record.Position, c.committed)
		}
		c.applied = append(c.applied, ev.Record.Position)
	}
	c.committed = page.Last()
	c.pages = append(c.pages, page)
	return nil
}

func (c *consumer) position() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.committed
}

func (c *consumer) snapshot() []uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]uint64(nil), c.applied...)
}

// waitFor waits until the consumer committed position pos.
func (c *consumer) waitFor(t *testing.T, pos uint64) {
	t.Helper()
	require.Eventually(t, func() bool { return c.position() >= pos }, waitTimeout, 5*time.Millisecond,
		"consumer reached position %d (it is at %d)", pos, c.position())
}

// run starts f.Run in the background; the returned function cancels it and
// returns Run's error.
func run(t *testing.T, f *follow.Follower) func() error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- f.Run(ctx) }()
	stop := sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-errc:
			return err
		case <-time.After(waitTimeout):
			t.Error("Run did not return after cancel")
			return nil
		}
	})
	t.Cleanup(func() { _ = stop() })
	return stop
}

func newFollower(t testing.TB, cfg follow.Config) *follow.Follower {
	t.Helper()
	if cfg.Backoff == (follow.Backoff{}) {
		cfg.Backoff = follow.Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond}
	}
	f, err := follow.New(cfg)
	require.NoError(t, err)
	return f
}

// faultyLog wraps a store and fails on demand: the ReadAll calls and
// subscriptions it is told to, or a live subscription after some events.
type faultyLog struct {
	eventstore.Store

	mu            sync.Mutex
	reads         int
	failReads     map[int]error // by the number of the ReadAll call (1-based)
	failSubscribe int           // fail this many Subscribe calls
	subscribes    int
	dropAfter     int    // end each subscription with errDropped after this many events (0: never)
	readMax       uint64 // the highest position a page read (limit > 1: not a head probe) returned
	corrupt       uint64 // position whose bytes are garbled
}

var errInjected = errors.New("injected store failure (SQLSTATE 57P01)")
var errDropped = errors.New("injected: subscription dropped")

func (l *faultyLog) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	l.mu.Lock()
	l.reads++
	err := l.failReads[l.reads]
	l.mu.Unlock()
	if err != nil {
		return nil, err
	}
	recs, err := l.Store.ReadAll(ctx, after, limit)
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range recs {
		if limit > 1 {
			l.readMax = max(l.readMax, recs[i].Position)
		}
		if recs[i].Position == l.corrupt {
			recs[i].Data = []byte(`{"not":"an envelope"`)
		}
	}
	return recs, err
}

func (l *faultyLog) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	l.mu.Lock()
	l.subscribes++
	fail := l.subscribes <= l.failSubscribe
	drop := l.dropAfter
	l.mu.Unlock()
	if fail {
		return nil, errInjected
	}
	ctx, cancel := context.WithCancel(ctx)
	inner, err := l.Store.Subscribe(ctx, after)
	if err != nil {
		cancel()
		return nil, err
	}
	s := &droppingSub{events: make(chan eventstore.RecordedEvent)}
	go func() {
		defer cancel()
		n := 0
		for e := range inner.Events() {
			if drop > 0 && n == drop {
				s.close(errDropped)
				return
			}
			select {
			case s.events <- e:
				n++
			case <-ctx.Done():
				s.close(ctx.Err())
				return
			}
		}
		s.close(inner.Err())
	}()
	return s, nil
}

func (l *faultyLog) maxRead() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.readMax
}

type droppingSub struct {
	events chan eventstore.RecordedEvent
	mu     sync.Mutex
	err    error
}

func (s *droppingSub) Events() <-chan eventstore.RecordedEvent { return s.events }
func (s *droppingSub) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
func (s *droppingSub) close(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
	close(s.events)
}
