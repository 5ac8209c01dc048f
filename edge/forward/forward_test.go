package forward_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/disputes-ledger/disputes/edge/forward"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/follow"
	"github.com/disputes-ledger/disputes/eventstore/postgres"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/testenv"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var quiet = slog.New(slog.DiscardHandler)

// jetStream is a private JetStream stream on the test server, deleted when
// the test ends.
type jetStream struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	name   string
	prefix string
}

func newJetStream(t *testing.T) *jetStream {
	t.Helper()
	url := testenv.NATSURL(t)
	nc, err := nats.Connect(url)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.AccountInfo(ctx); err != nil {
		testenv.Unavailable(t, "NATS JetStream", err)
	}
	s := &jetStream{nc: nc, js: js, name: testenv.RandomName("T_"), prefix: testenv.RandomName("test_") + ".events"}
	require.NoError(t, forward.EnsureStream(ctx, nc, s.name, s.prefix, forward.DefaultDupWindow))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, js.DeleteStream(ctx, s.name))
	})
	return s
}

// publisher returns a Watermill JetStream publisher on its own connection.
func (s *jetStream) publisher(t *testing.T) message.Publisher {
	t.Helper()
	nc, err := nats.Connect(s.nc.ConnectedUrl())
	require.NoError(t, err)
	pub, err := forward.NewPublisher(nc, s.name, watermill.NopLogger{})
	require.NoError(t, err)
	t.Cleanup(func() { pub.Close() })
	return pub
}

// consume reads the whole stream from the start with an ordered consumer.
func (s *jetStream) consume(t *testing.T, want int) []jetstream.Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := s.js.OrderedConsumer(ctx, s.name, jetstream.OrderedConsumerConfig{})
	require.NoError(t, err)
	var got []jetstream.Msg
	for len(got) < want {
		msg, err := cons.Next(jetstream.FetchMaxWait(10 * time.Second))
		require.NoError(t, err, "after %d of %d messages", len(got), want)
		got = append(got, msg)
	}
	// Nothing beyond: a duplicate would be stored after the originals.
	_, err = cons.Next(jetstream.FetchMaxWait(300 * time.Millisecond))
	require.ErrorIs(t, err, nats.ErrTimeout, "no message beyond the %d expected", want)
	stream, err := s.js.Stream(ctx, s.name)
	require.NoError(t, err)
	info, err := stream.Info(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(want), info.State.Msgs, "messages stored in the JetStream stream")
	return got
}

// counting counts acknowledged publishes and calls after once, after the
// n-th one.
type counting struct {
	message.Publisher
	n     atomic.Int64
	at    int64
	after func()
}

func (c *counting) Publish(topic string, msgs ...*message.Message) error {
	if err := c.Publisher.Publish(topic, msgs...); err != nil {
		return err
	}
	if c.n.Add(int64(len(msgs))) == c.at && c.after != nil {
		c.after()
	}
	return nil
}

// crashable is a checkpoint whose writes stop reaching the disk once the
// process "crashes": the publishes acknowledged since its last save are
// forgotten, as after kill -9.
type crashable struct {
	forward.FileCheckpoint
	crashed atomic.Bool
}

func (c *crashable) Save(ctx context.Context, pos uint64) error {
	if c.crashed.Load() {
		return nil
	}
	return c.FileCheckpoint.Save(ctx, pos)
}

var types = []string{"ticket.opened", "refund.requested", "evidence.submitted", "refund.approved"}

// seedLedger appends perTicket events to each of tickets new streams named
// ticket-<prefix><k>, the tickets interleaved, and returns the whole log.
func seedLedger(t *testing.T, s eventstore.Store, prefix string, tickets, perTicket int) []eventstore.RecordedEvent {
	t.Helper()
	ctx := context.Background()
	for rev := range uint64(perTicket) {
		for k := range tickets {
			stream := fmt.Sprintf("ticket-%s%d", prefix, k)
			exp := eventstore.NoStream()
			if rev > 0 {
				exp = eventstore.Exact(rev - 1)
			}
			ev := eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: types[int(rev)%len(types)], Revision: rev,
				Data: fmt.Appendf(nil, `{"ticket":"%s%d","revision":%d}`, prefix, k, rev)}
			_, err := s.Append(ctx, stream, exp, []eventstore.EventData{ev})
			require.NoError(t, err)
		}
	}
	all, err := s.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	return all
}

func stores(t *testing.T) map[string]func(t *testing.T) eventstore.Store {
	return map[string]func(t *testing.T) eventstore.Store{
		"sqlite": func(t *testing.T) eventstore.Store {
			s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ledger.db"), sqlite.Config{})
			require.NoError(t, err)
			t.Cleanup(func() { s.Close() })
			return s
		},
		"postgres": func(t *testing.T) eventstore.Store {
			connString, _ := testenv.PostgresSchema(t)
			s, err := postgres.Open(context.Background(), connString, postgres.Config{})
			require.NoError(t, err)
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
}

// TestForwardExactlyOnceAcrossRestarts forwards a ledger in three runs: the
// first "crashes" mid-way (its last checkpoint writes are lost, so the next
// run publishes some events again), the second is stopped cleanly mid-way
// while following the log, and the third catches up with the rest,
// including events appended meanwhile. A consumer reading the JetStream
// stream must get every event exactly once — the republished ones
// deduplicated by message id — in log order, so in revision order per
// ticket, with the envelope bytes and headers intact.
func TestForwardExactlyOnceAcrossRestarts(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			js := newJetStream(t)
			store := open(t)
			seeded := seedLedger(t, store, "T", 6, 10)
			cfg := forward.Config{SubjectPrefix: js.prefix, CheckpointEvery: 7, CheckpointInterval: time.Hour, Logger: quiet}
			cp := &crashable{FileCheckpoint: forward.FileCheckpoint{Path: filepath.Join(t.TempDir(), "forward.checkpoint")}}
			var published atomic.Int64

			// Run 1: crash after 25 acknowledged publishes.
			ctx, cancel := context.WithCancel(context.Background())
			pub := &counting{Publisher: js.publisher(t), at: 25, after: func() { cp.crashed.Store(true); cancel() }}
			f, err := forward.New(store, pub, cp, cfg)
			require.NoError(t, err)
			require.NoError(t, f.Run(ctx))
			published.Add(pub.n.Load())
			onDisk, err := cp.FileCheckpoint.Load(context.Background())
			require.NoError(t, err)
			require.Less(t, onDisk, uint64(pub.n.Load()), "the crash lost acknowledged positions")
			republish := uint64(pub.n.Load()) - onDisk
			cp.crashed.Store(false)

			// Run 2: follow the log, stop cleanly after 20 more publishes.
			ctx, cancel = context.WithCancel(context.Background())
			pub = &counting{Publisher: js.publisher(t), at: 20, after: cancel}
			f, err = forward.New(store, pub, cp, cfg)
			require.NoError(t, err)
			require.NoError(t, f.Run(ctx))
			published.Add(pub.n.Load())
			stopped, err := cp.Load(context.Background())
			require.NoError(t, err)
			assert.Equal(t, onDisk+uint64(pub.n.Load()), stopped, "a clean stop checkpoints every acknowledged event")

			// More events while no forwarder runs, then run 3 catches up.
			more := seedLedger(t, store, "U", 2, 3)[len(seeded):]
			want := append(seeded, more...)
			pub = &counting{Publisher: js.publisher(t)}
			f, err = forward.New(store, pub, cp, cfg)
			require.NoError(t, err)
			n, err := f.CatchUp(context.Background())
			require.NoError(t, err)
			published.Add(pub.n.Load())
			assert.Equal(t, len(want)-int(stopped), n)
			final, err := cp.Load(context.Background())
			require.NoError(t, err)
			assert.Equal(t, uint64(len(want)), final)
			assert.Equal(t, int64(len(want))+int64(republish), published.Load(), "the crashed run's unsaved events were published twice")

			msgs := js.consume(t, len(want))
			nextRev := make(map[string]uint64)
			for i, msg := range msgs {
				e := want[i]
				h := msg.Headers()
				assert.Equal(t, e.ID.String(), h.Get(nats.MsgIdHdr), "message %d: the event id is the JetStream message id", i)
				assert.Equal(t, e.ID.String(), h.Get(forward.HeaderEventID))
				assert.Equal(t, js.prefix+"."+e.Type, msg.Subject())
				assert.Equal(t, e.Type, h.Get(forward.HeaderEventType))
				assert.Equal(t, e.Stream, h.Get(forward.HeaderStream))
				assert.Equal(t, e.Stream[len("ticket-"):], h.Get(forward.HeaderTicket))
				assert.Equal(t, strconv.FormatUint(e.Position, 10), h.Get(forward.HeaderPosition))
				assert.Equal(t, string(e.Data), string(msg.Data()), "the envelope, byte for byte")
				rev, err := strconv.ParseUint(h.Get(forward.HeaderRevision), 10, 64)
				require.NoError(t, err)
				assert.Equal(t, nextRev[e.Stream], rev, "revision order of %s", e.Stream)
				nextRev[e.Stream] = rev + 1
			}
		})
	}
}

// TestForwardFollowsLiveAppends runs the forwarder while writers append,
// and stops it once everything arrived.
func TestForwardFollowsLiveAppends(t *testing.T) {
	js := newJetStream(t)
	store := stores(t)["sqlite"](t)
	cp := forward.FileCheckpoint{Path: filepath.Join(t.TempDir(), "cp")}
	f, err := forward.New(store, js.publisher(t), cp, forward.Config{SubjectPrefix: js.prefix, Logger: quiet})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var runErr error
	wg.Go(func() { runErr = f.Run(ctx) })

	want := seedLedger(t, store, "T", 4, 5)
	msgs := js.consume(t, len(want))
	cancel()
	wg.Wait()
	require.NoError(t, runErr)
	for i, msg := range msgs {
		assert.Equal(t, want[i].ID.String(), msg.Headers().Get(nats.MsgIdHdr))
	}
	pos, err := cp.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, uint64(len(want)), pos)
}

// failing refuses the first n publishes, as NATS does while it restarts.
type failing struct {
	message.Publisher
	left atomic.Int64
}

func (f *failing) Publish(topic string, msgs ...*message.Message) error {
	if f.left.Add(-1) >= 0 {
		return errors.New("nats: connection closed")
	}
	return f.Publisher.Publish(topic, msgs...)
}

func TestForwardRetriesFailedPublishes(t *testing.T) {
	js := newJetStream(t)
	store := stores(t)["sqlite"](t)
	want := seedLedger(t, store, "T", 1, 3)
	pub := &failing{Publisher: js.publisher(t)}
	pub.left.Store(3)
	f, err := forward.New(store, pub, forward.FileCheckpoint{Path: filepath.Join(t.TempDir(), "cp")},
		forward.Config{SubjectPrefix: js.prefix, RetryMax: 20 * time.Millisecond, Logger: quiet})
	require.NoError(t, err)
	n, err := f.CatchUp(context.Background())
	require.NoError(t, err)
	assert.Equal(t, len(want), n)
	assert.Len(t, js.consume(t, len(want)), len(want))
}

// flaky fails some reads of the log and ends every subscription after a few
// events, as a store that restarts does.
type flaky struct {
	eventstore.Store
	reads     atomic.Int64
	dropAfter int
	drops     atomic.Int64
}

var errRestarting = errors.New("injected: terminating connection due to administrator command (SQLSTATE 57P01)")

func (f *flaky) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	if limit > 1 && f.reads.Add(1)%2 == 1 {
		return nil, errRestarting
	}
	return f.Store.ReadAll(ctx, after, limit)
}

func (f *flaky) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	ctx, cancel := context.WithCancel(ctx)
	inner, err := f.Store.Subscribe(ctx, after)
	if err != nil {
		cancel()
		return nil, err
	}
	out := &cutSub{ch: make(chan eventstore.RecordedEvent)}
	go func() {
		defer cancel()
		defer close(out.ch)
		n := 0
		for e := range inner.Events() {
			if n == f.dropAfter {
				f.drops.Add(1)
				out.err.Store(&errRestarting)
				return
			}
			select {
			case out.ch <- e:
				n++
			case <-ctx.Done():
				out.err.Store(new(error))
				return
			}
		}
	}()
	return out, nil
}

type cutSub struct {
	ch  chan eventstore.RecordedEvent
	err atomic.Pointer[error]
}

func (s *cutSub) Events() <-chan eventstore.RecordedEvent { return s.ch }
func (s *cutSub) Err() error {
	if p := s.err.Load(); p != nil {
		return *p
	}
	return nil
}

// TestForwardHealsAfterStoreFailures forwards while every other read of
// the log fails and each live subscription is dropped after three events:
// every event still reaches JetStream once, in order, and the forwarder
// reports the failures while it retries.
func TestForwardHealsAfterStoreFailures(t *testing.T) {
	js := newJetStream(t)
	store := &flaky{Store: stores(t)["sqlite"](t), dropAfter: 3}
	seeded := seedLedger(t, store.Store, "T", 3, 4)
	cp := forward.FileCheckpoint{Path: filepath.Join(t.TempDir(), "cp")}
	f, err := forward.New(store, js.publisher(t), cp, forward.Config{SubjectPrefix: js.prefix, RetryMax: 20 * time.Millisecond, Logger: quiet})
	require.NoError(t, err)
	assert.Equal(t, follow.Idle, f.Status().State)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var runErr error
	wg.Go(func() { runErr = f.Run(ctx) })
	sawRetrying := false
	require.Eventually(t, func() bool {
		st := f.Status()
		sawRetrying = sawRetrying || (st.State == follow.Retrying && errors.Is(st.Err, errRestarting))
		return sawRetrying
	}, 20*time.Second, 100*time.Microsecond, "the status shows the failing store")

	// Live, each subscription is cut after three of these events.
	require.Eventually(t, func() bool { return f.Status().State == follow.Live }, 20*time.Second, time.Millisecond)
	want := seedLedger(t, store.Store, "U", 3, 4)
	require.Greater(t, len(want), len(seeded))
	msgs := js.consume(t, len(want))
	cancel()
	wg.Wait()
	require.NoError(t, runErr)
	for i, msg := range msgs {
		assert.Equal(t, want[i].ID.String(), msg.Headers().Get(nats.MsgIdHdr), "message %d", i)
	}
	assert.Positive(t, store.drops.Load(), "live subscriptions were dropped and replaced")
	pos, err := cp.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, uint64(len(want)), pos)
	assert.Equal(t, follow.Stopped, f.Status().State)
}
