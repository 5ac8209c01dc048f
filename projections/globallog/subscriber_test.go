package globallog_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/projections/globallog"
)

// countingStore counts ReadAll calls, to see the pager share reads.
type countingStore struct {
	eventstore.Store
	readAlls atomic.Int64
}

func (c *countingStore) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	c.readAlls.Add(1)
	return c.Store.ReadAll(ctx, after, limit)
}

func openStore(t *testing.T) *countingStore {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ledger.db"), sqlite.Config{PollInterval: 10 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return &countingStore{Store: s}
}

// appendTickets plays n generated tickets and appends each stream whole; it
// returns the envelopes in log order.
func appendTickets(t *testing.T, store eventstore.Store, seed int64, n int) []events.Envelope {
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

func subscriber(t *testing.T, cfg globallog.Config) *globallog.Subscriber {
	t.Helper()
	s, err := globallog.NewSubscriber(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func fixed(pos uint64) func(context.Context) (uint64, error) {
	return func(context.Context) (uint64, error) { return pos, nil }
}

// receive takes the next message or fails the test after a timeout.
func receive(t *testing.T, ch <-chan *message.Message) *message.Message {
	t.Helper()
	select {
	case msg, ok := <-ch:
		require.True(t, ok, "subscription closed")
		return msg
	case <-time.After(10 * time.Second):
		t.Fatal("no message within 10s")
		return nil
	}
}

// collect acks pages until it has seen position upTo and returns the
// positions in delivery order.
func collect(t *testing.T, ch <-chan *message.Message, upTo uint64) ([]uint64, []globallog.Page) {
	t.Helper()
	var positions []uint64
	var pages []globallog.Page
	for len(positions) == 0 || positions[len(positions)-1] < upTo {
		msg := receive(t, ch)
		page, err := globallog.PageOf(msg)
		require.NoError(t, err)
		for _, ev := range page.Events {
			require.NoError(t, ev.Err)
			positions = append(positions, ev.Record.Position)
		}
		pages = append(pages, page)
		msg.Ack()
	}
	return positions, pages
}

func seq(from, to uint64) []uint64 {
	var out []uint64
	for p := from; p <= to; p++ {
		out = append(out, p)
	}
	return out
}

func TestSubscriberCatchesUpFromCheckpointThenGoesLive(t *testing.T) {
	t.Parallel()
	store := openStore(t)
	envs := appendTickets(t, store, 1, 40)
	head := uint64(len(envs))
	require.Greater(t, head, uint64(100))
	sub := subscriber(t, globallog.Config{Store: store, Checkpoint: fixed(37), PageSize: 16,
		Pager: globallog.NewPager(store, 32, 4)})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := sub.Subscribe(ctx, globallog.Topic)
	require.NoError(t, err)

	positions, pages := collect(t, ch, head)
	assert.Equal(t, seq(38, head), positions, "every event after the checkpoint, once, in order")
	for _, p := range pages[:len(pages)-1] {
		assert.LessOrEqual(t, len(p.Events), 16, "pages respect PageSize")
		assert.False(t, p.Tail, "only the page at the head is the tail")
	}
	assert.True(t, pages[len(pages)-1].Tail)
	for i, pos := range positions {
		assert.Equal(t, envs[pos-1].ID, eventAt(t, pages, pos).Record.ID, "position %d (index %d)", pos, i)
	}

	more := appendTickets(t, store, 2, 3)
	positions, pages = collect(t, ch, head+uint64(len(more)))
	assert.Equal(t, seq(head+1, head+uint64(len(more))), positions, "live events follow the catch-up without a gap")
	assert.Equal(t, more[0].Hash, pages[0].Events[0].Env.Hash)

	cancel()
	for range ch { //nolint:revive // drain until closed
	}
}

func eventAt(t *testing.T, pages []globallog.Page, pos uint64) globallog.Event {
	t.Helper()
	for _, p := range pages {
		for _, ev := range p.Events {
			if ev.Record.Position == pos {
				return ev
			}
		}
	}
	t.Fatalf("position %d not delivered", pos)
	return globallog.Event{}
}

func TestNackRedeliversTheSamePage(t *testing.T) {
	t.Parallel()
	store := openStore(t)
	appendTickets(t, store, 3, 5)
	sub := subscriber(t, globallog.Config{Store: store, Checkpoint: fixed(0), PageSize: 4, NackResendSleep: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := sub.Subscribe(ctx, globallog.Topic)
	require.NoError(t, err)

	first := receive(t, ch)
	first.Nack()
	again := receive(t, ch)
	assert.Equal(t, first.UUID, again.UUID)
	assert.Equal(t, first.Payload, again.Payload)
	assert.Equal(t, first.Metadata, again.Metadata)
	again.Ack()
	next := receive(t, ch)
	assert.Equal(t, "5", next.Metadata.Get(globallog.MetaPosition), "after the ack, the next page")
}

func TestOneEventPerMessage(t *testing.T) {
	t.Parallel()
	store := openStore(t)
	envs := appendTickets(t, store, 4, 2)
	sub := subscriber(t, globallog.Config{Store: store, Checkpoint: fixed(0), PageSize: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := sub.Subscribe(ctx, globallog.Topic)
	require.NoError(t, err)

	for i, env := range envs {
		msg := receive(t, ch)
		wire, err := events.Encode(env)
		require.NoError(t, err)
		assert.Equal(t, env.ID.String(), msg.UUID, "UUID is the event id")
		assert.Equal(t, wire, []byte(msg.Payload), "payload is the envelope's bytes")
		assert.Equal(t, map[string]string{
			globallog.MetaPosition: itoa(i + 1), globallog.MetaLastPosition: itoa(i + 1), globallog.MetaCount: "1",
			globallog.MetaStream: env.Stream, globallog.MetaType: env.Type, globallog.MetaRevision: itoa(int(env.Revision)),
		}, withoutTail(msg.Metadata))
		msg.Ack()
	}
}

func withoutTail(m message.Metadata) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if k != globallog.MetaTail {
			out[k] = v
		}
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

// A message that crossed a process boundary has no decoded page in its
// context: PageOf decodes the payload to the same events.
func TestPageOfDecodesThePayload(t *testing.T) {
	t.Parallel()
	store := openStore(t)
	appendTickets(t, store, 5, 6)
	for _, size := range []int{1, 7} {
		sub := subscriber(t, globallog.Config{Store: store, Checkpoint: fixed(3), PageSize: size})
		ctx, cancel := context.WithCancel(context.Background())
		ch, err := sub.Subscribe(ctx, globallog.Topic)
		require.NoError(t, err)
		msg := receive(t, ch)
		inProcess, err := globallog.PageOf(msg)
		require.NoError(t, err)
		parsed, err := globallog.PageOf(msg.Copy()) // Copy drops the context
		require.NoError(t, err)
		require.Len(t, parsed.Events, size)
		for i := range inProcess.Events {
			assert.Equal(t, inProcess.Events[i].Record.Position, parsed.Events[i].Record.Position)
			assert.Equal(t, inProcess.Events[i].Record.ID, parsed.Events[i].Record.ID)
			assert.Equal(t, inProcess.Events[i].Record.Stream, parsed.Events[i].Record.Stream)
			assert.Equal(t, inProcess.Events[i].Env.Hash, parsed.Events[i].Env.Hash)
			assert.NoError(t, parsed.Events[i].Err)
		}
		msg.Ack()
		cancel()
	}

	_, err := globallog.PageOf(message.NewMessage("x", []byte("{}")))
	assert.ErrorIs(t, err, globallog.ErrMalformedMessage)
}

// A record that does not decode is delivered, with its error, never dropped:
// what to do about it is the consumer's decision.
func TestUndecodableRecordIsDelivered(t *testing.T) {
	t.Parallel()
	store := openStore(t)
	appendTickets(t, store, 6, 1)
	bad := []byte("{\"not\":\n\"an envelope\"}")
	_, err := store.Append(context.Background(), "ticket-garbage", eventstore.NoStream(),
		[]eventstore.EventData{{ID: uuid.Must(uuid.NewV7()), Type: "mystery.happened", Data: bad}})
	require.NoError(t, err)
	head, err := store.ReadAll(context.Background(), 0, 0)
	require.NoError(t, err)

	sub := subscriber(t, globallog.Config{Store: store, Checkpoint: fixed(0), PageSize: 100})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := sub.Subscribe(ctx, globallog.Topic)
	require.NoError(t, err)
	var last globallog.Event
	var pages int
	for last.Record.Position < uint64(len(head)) {
		msg := receive(t, ch)
		page, err := globallog.PageOf(msg)
		require.NoError(t, err)
		last = page.Events[len(page.Events)-1]
		pages++
		msg.Ack()
	}
	require.Error(t, last.Err)
	assert.ErrorIs(t, last.Err, events.ErrMalformed)
	assert.Equal(t, "mystery.happened", last.Record.Type)
	assert.Equal(t, 2, pages, "a record with a raw newline travels in a page of its own")
}

func TestSubscribersSharingAPagerReadEachPageOnce(t *testing.T) {
	t.Parallel()
	store := openStore(t)
	envs := appendTickets(t, store, 7, 60)
	head := uint64(len(envs))
	pager := globallog.NewPager(store, 16, 8)
	t.Cleanup(pager.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var chans []<-chan *message.Message
	for range 3 {
		sub := subscriber(t, globallog.Config{Store: store, Checkpoint: fixed(0), PageSize: 16, Pager: pager})
		ch, err := sub.Subscribe(ctx, globallog.Topic)
		require.NoError(t, err)
		chans = append(chans, ch)
	}
	done := make(chan []uint64, 3)
	for _, ch := range chans {
		go func() {
			var got []uint64
			for len(got) == 0 || got[len(got)-1] < head {
				msg := <-ch
				page, _ := globallog.PageOf(msg)
				for _, ev := range page.Events {
					got = append(got, ev.Record.Position)
				}
				msg.Ack()
			}
			done <- got
		}()
	}
	for range 3 {
		select {
		case got := <-done:
			assert.Equal(t, seq(1, head), got)
		case <-time.After(20 * time.Second):
			t.Fatal("subscribers did not finish")
		}
	}
	// Each full page is read once; the page at the head, which is not
	// cached, and read-ahead past it add a few. Unshared, it would be three
	// reads per page.
	pages := int64(head/16 + 1)
	assert.LessOrEqual(t, store.readAlls.Load(), pages+12, "about one read per page, not one per page per subscriber (%d pages)", pages)
}

func TestConfigAndTopicAreChecked(t *testing.T) {
	t.Parallel()
	_, err := globallog.NewSubscriber(globallog.Config{})
	require.Error(t, err)
	store := openStore(t)
	sub := subscriber(t, globallog.Config{Store: store, Checkpoint: fixed(0)})
	_, err = sub.Subscribe(context.Background(), "elsewhere")
	require.ErrorIs(t, err, globallog.ErrUnknownTopic)
	require.NoError(t, sub.Close())
	_, err = sub.Subscribe(context.Background(), globallog.Topic)
	require.ErrorIs(t, err, globallog.ErrClosed)
}

func TestCloseEndsSubscriptions(t *testing.T) {
	t.Parallel()
	store := openStore(t)
	sub := subscriber(t, globallog.Config{Store: store, Checkpoint: fixed(0)})
	ch, err := sub.Subscribe(context.Background(), globallog.Topic)
	require.NoError(t, err)
	require.NoError(t, sub.Close())
	select {
	case _, ok := <-ch:
		assert.False(t, ok, "channel closed")
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the subscription")
	}
}

// A cursor may run at most keep-1 pages ahead of the slowest open cursor:
// the pages it shares stay cached until the slow one has read them.
func TestPagerHoldsFastCursorsNearTheSlowest(t *testing.T) {
	t.Parallel()
	store := openStore(t)
	envs := appendTickets(t, store, 8, 30)
	require.Greater(t, len(envs), 8*16)
	pager := globallog.NewPager(store, 16, 4)
	t.Cleanup(pager.Close)
	ctx := context.Background()
	slow, fast := pager.Cursor(), pager.Cursor()
	read := func(c *globallog.Cursor, page uint64, wait time.Duration) error {
		rctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		evs, full, err := c.Read(rctx, page*16)
		if err == nil {
			assert.True(t, full)
			assert.Equal(t, page*16+1, evs[0].Record.Position)
		}
		return err
	}
	require.NoError(t, read(slow, 0, time.Second))
	for page := range uint64(3) {
		require.NoError(t, read(fast, page, time.Second), "page %d is within reach", page)
	}
	require.ErrorIs(t, read(fast, 3, 50*time.Millisecond), context.DeadlineExceeded, "three pages ahead of the slowest: wait")

	done := make(chan error, 1)
	go func() { done <- read(fast, 3, 10*time.Second) }()
	require.NoError(t, read(slow, 1, time.Second))
	require.NoError(t, <-done, "the slow cursor moved on, so the fast one may")

	slow.Close()
	require.NoError(t, read(fast, 7, time.Second), "a closed cursor holds nobody back")
	fast.Close()
}
