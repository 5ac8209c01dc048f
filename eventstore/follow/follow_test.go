package follow_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore/follow"
	"github.com/disputes-ledger/disputes/internal/supervise"
)

func TestCatchUpThenLiveWithoutGapOrRepeat(t *testing.T) {
	t.Parallel()
	store := openSQLite(t)
	envs := appendTickets(t, store, 1, 40)
	head := uint64(len(envs))
	require.Greater(t, head, uint64(100))

	c := &consumer{committed: 37}
	// While the follower catches up, more tickets are appended: the boundary
	// between catch-up and live must lose and repeat nothing.
	var writer sync.WaitGroup
	var more []events.Envelope
	writer.Add(1)
	c.fail = func(page follow.Page) error {
		if len(c.pages) == 1 {
			go func() {
				defer writer.Done()
				more = appendTickets(t, store, 2, 30)
			}()
		}
		return nil
	}
	f := newFollower(t, follow.Config{Name: "test", Log: store, Start: c.start, Handle: c.handle, PageSize: 16})
	stop := run(t, f)
	writer.Wait()
	total := head + uint64(len(more))
	c.waitFor(t, total)

	applied := c.snapshot()
	assert.Equal(t, seq(38, total), applied, "every event after the start, once, in order")
	all := append(envs, more...)
	for _, p := range c.pages {
		assert.LessOrEqual(t, len(p.Events), 16, "pages respect PageSize")
		for _, ev := range p.Events {
			require.NoError(t, ev.Err)
			assert.Equal(t, all[ev.Record.Position-1].ID, ev.Env.ID, "decoded envelope of position %d", ev.Record.Position)
			assert.Equal(t, all[ev.Record.Position-1].Hash, ev.Env.Hash)
		}
	}
	require.Eventually(t, func() bool { return f.Status().State == follow.Live }, waitTimeout, time.Millisecond)

	// Live: one more ticket arrives as its own page(s), marked as the tail.
	last := appendTickets(t, store, 3, 1)
	c.waitFor(t, total+uint64(len(last)))
	assert.Equal(t, seq(38, total+uint64(len(last))), c.snapshot())
	assert.True(t, c.pages[len(c.pages)-1].Tail, "a live page that drained what waited is the tail")
	st := f.Status()
	assert.Equal(t, follow.Live, st.State)
	assert.Equal(t, total+uint64(len(last)), st.Position)
	assert.Zero(t, st.Lag)
	assert.True(t, st.Healthy())
	assert.Equal(t, 1, c.starts, "no failure, one start")

	require.ErrorIs(t, stop(), context.Canceled)
	assert.Equal(t, follow.Stopped, f.Status().State)
	assert.NoError(t, f.Status().Err, "cancelling is a clean stop")
}

func TestFollowerReadsAtMostOnePageAhead(t *testing.T) {
	t.Parallel()
	store := openSQLite(t)
	head := uint64(len(appendTickets(t, store, 4, 60)))
	const page = 10
	require.Greater(t, head, uint64(6*page))
	log := &faultyLog{Store: store}

	release := make(chan struct{})
	var got []uint64
	handle := func(ctx context.Context, p follow.Page) error {
		if len(got) == 0 {
			select { // the consumer is slow with its first page
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		for _, ev := range p.Events {
			got = append(got, ev.Record.Position)
		}
		return nil
	}
	f := newFollower(t, follow.Config{Log: log, Start: func(context.Context) (uint64, error) { return 0, nil },
		Handle: handle, PageSize: page, StopAtHead: true})
	done := make(chan error, 1)
	go func() { done <- f.Run(context.Background()) }()

	// While the first page is held, the follower may read the next one and
	// no more: once it has, it is given time to overreach.
	require.Eventually(t, func() bool { return log.maxRead() >= 2*page }, waitTimeout, time.Millisecond,
		"the follower never read ahead")
	time.Sleep(200 * time.Millisecond)
	assert.Equal(t, uint64(2*page), log.maxRead(), "one page handled, one read ahead")
	st := f.Status()
	assert.Equal(t, follow.CatchingUp, st.State)
	assert.Equal(t, head, st.Lag, "the head is known while catching up; nothing handled yet")
	close(release)
	require.NoError(t, <-done, "StopAtHead ends the run at the head")
	assert.Equal(t, seq(1, head), got)
	assert.Equal(t, follow.Stopped, f.Status().State)
}

func TestResumesFromTheConsumersPositionAfterFailures(t *testing.T) {
	t.Parallel()
	store := openSQLite(t)
	head := uint64(len(appendTickets(t, store, 5, 40)))
	log := &faultyLog{Store: store, dropAfter: 7,
		// A few reads fail: the head probe's, a catch-up read after some pages.
		failReads: map[int]error{1: errInjected, 30: errInjected, 31: errInjected}}
	failedOnce := false
	c := &consumer{}
	c.fail = func(page follow.Page) error {
		// The consumer's own transaction fails once, mid-log: nothing of the
		// page is kept, and it comes again.
		if !failedOnce && page.First() <= 50 && 50 <= page.Last() {
			failedOnce = true
			return errors.New("commit: connection reset")
		}
		return nil
	}
	f := newFollower(t, follow.Config{Name: "resume", Log: log, Start: c.start, Handle: c.handle, PageSize: 8})
	run(t, f)
	c.waitFor(t, head)

	// Live, the subscription is dropped every 7 events: each time the
	// follower subscribes again after the consumer's position.
	more := uint64(len(appendTickets(t, store, 6, 20)))
	c.waitFor(t, head+more)
	assert.Equal(t, seq(1, head+more), c.snapshot(), "exactly once, in order, across every failure")
	assert.True(t, failedOnce)
	log.mu.Lock()
	subscribes := log.subscribes
	log.mu.Unlock()
	assert.Greater(t, subscribes, 1, "the dropped subscription was replaced")
	assert.GreaterOrEqual(t, c.starts, 4+subscribes-1, "each failure asked the consumer where to resume")
}

func TestStatusShowsRetryingWithTheLastError(t *testing.T) {
	t.Parallel()
	store := openSQLite(t)
	appendTickets(t, store, 7, 3)
	log := &faultyLog{Store: store, failReads: map[int]error{1: errInjected, 2: errInjected}}
	c := &consumer{}
	f := newFollower(t, follow.Config{Name: "projections", Log: log, Start: c.start, Handle: c.handle,
		Backoff: follow.Backoff{Initial: 300 * time.Millisecond, Max: 300 * time.Millisecond}})
	run(t, f)
	var st follow.Status
	require.Eventually(t, func() bool { st = f.Status(); return st.State == follow.Retrying }, waitTimeout, time.Millisecond)
	assert.ErrorIs(t, st.Err, errInjected)
	assert.Equal(t, 1, st.Attempt)
	assert.False(t, st.Healthy())
	assert.WithinDuration(t, time.Now().Add(300*time.Millisecond), st.RetryAt, 300*time.Millisecond)
	assert.Contains(t, st.String(), "projections: retrying")
	require.Eventually(t, func() bool { st = f.Status(); return st.State == follow.Retrying && st.Attempt == 2 }, waitTimeout, time.Millisecond,
		"the second attempt fails too")
	require.Eventually(t, func() bool { return f.Status().State == follow.Live }, waitTimeout, time.Millisecond, "healed by itself")
	st = f.Status()
	assert.NoError(t, st.Err)
	assert.Zero(t, st.Attempt)
	assert.Zero(t, st.Lag)
}

// TestBrokenErrorStopsWithoutRetrying: a consumer that can never apply an
// event marks its error Broken; the follower stops at once, and the error
// says a supervisor must not restart the job either.
func TestBrokenErrorStopsWithoutRetrying(t *testing.T) {
	t.Parallel()
	store := openSQLite(t)
	appendTickets(t, store, 8, 10)
	log := &faultyLog{Store: store, corrupt: 12}
	c := &consumer{}
	var seen follow.Event
	c.fail = func(page follow.Page) error {
		for _, ev := range page.Events {
			if ev.Err != nil {
				seen = ev
				return follow.Broken(ev.Err)
			}
		}
		return nil
	}
	f := newFollower(t, follow.Config{Log: log, Start: c.start, Handle: c.handle, PageSize: 5})
	err := f.Run(context.Background())
	require.Error(t, err)
	assert.True(t, follow.IsBroken(err))
	assert.True(t, supervise.IsPermanent(fmt.Errorf("projector: %w", err)), "a supervisor sees it as permanent, wrapped too")
	assert.Equal(t, uint64(12), seen.Record.Position, "the undecodable record is delivered with its error")
	assert.Zero(t, seen.Env.ID)
	assert.Equal(t, 1, c.starts, "not retried")
	assert.Equal(t, uint64(10), c.position(), "the pages before it were handled")
	st := f.Status()
	assert.Equal(t, follow.Stopped, st.State)
	assert.True(t, follow.IsBroken(st.Err))
}

// TestHaltHandsTheErrorBackWithoutMarkingItBroken: a consumer that must end
// this run (a checkpoint it could not save, a seal it could not store) marks
// the error Halt: the follower stops without retrying and returns it, and
// nothing in it says the job is broken — a supervisor runs it again.
func TestHaltHandsTheErrorBackWithoutMarkingItBroken(t *testing.T) {
	t.Parallel()
	store := openSQLite(t)
	head := uint64(len(appendTickets(t, store, 9, 10)))
	saveFailed := errors.New("save checkpoint: SQLSTATE 57P01")
	c := &consumer{}
	c.fail = func(page follow.Page) error {
		if page.Last() >= 5 {
			return follow.Halt(saveFailed)
		}
		return nil
	}
	f := newFollower(t, follow.Config{Log: store, Start: c.start, Handle: c.handle, PageSize: 5})
	err := f.Run(context.Background())
	require.ErrorIs(t, err, saveFailed)
	assert.False(t, follow.IsBroken(err))
	assert.False(t, supervise.IsPermanent(err), "a supervisor retries it")
	assert.Equal(t, 1, c.starts, "the follower itself did not retry")
	st := f.Status()
	assert.Equal(t, follow.Stopped, st.State)
	assert.ErrorIs(t, st.Err, saveFailed)

	// An unmarked failure of the same consumer is retried by the follower.
	c2 := &consumer{}
	failures := 0
	c2.fail = func(page follow.Page) error {
		if failures < 2 {
			failures++
			return saveFailed
		}
		return nil
	}
	f2 := newFollower(t, follow.Config{Log: store, Start: c2.start, Handle: c2.handle, PageSize: 5, StopAtHead: true,
		Backoff: follow.Backoff{Initial: time.Millisecond, Max: 2 * time.Millisecond}})
	require.NoError(t, f2.Run(context.Background()))
	assert.Equal(t, 3, c2.starts, "retried from the consumer's position after each failure")
	assert.Equal(t, head, c2.position())
}

func TestMaxAttemptsGivesUp(t *testing.T) {
	t.Parallel()
	store := openSQLite(t)
	log := &faultyLog{Store: store, failSubscribe: 1000}
	c := &consumer{}
	f := newFollower(t, follow.Config{Log: log, Start: c.start, Handle: c.handle, MaxAttempts: 3})
	err := f.Run(context.Background())
	require.ErrorIs(t, err, follow.ErrGaveUp)
	assert.ErrorIs(t, err, errInjected)
	assert.Equal(t, 3, c.starts)
}

func TestUntilStopsAtThatPosition(t *testing.T) {
	t.Parallel()
	store := openSQLite(t)
	head := uint64(len(appendTickets(t, store, 9, 10)))
	require.Greater(t, head, uint64(30))
	c := &consumer{committed: 3}
	f := newFollower(t, follow.Config{Log: store, Start: c.start, Handle: c.handle, PageSize: 7, Until: 25})
	require.NoError(t, f.Run(context.Background()))
	assert.Equal(t, seq(4, 25), c.snapshot(), "no page goes past Until")

	again := newFollower(t, follow.Config{Log: store, Start: c.start, Handle: c.handle, Until: 25})
	require.NoError(t, again.Run(context.Background()), "already there: nothing to do")
	assert.Equal(t, seq(4, 25), c.snapshot())
}

func TestErrStopEndsTheRunCleanly(t *testing.T) {
	t.Parallel()
	store := openSQLite(t)
	appendTickets(t, store, 10, 5)
	c := &consumer{}
	c.fail = func(page follow.Page) error { return nil }
	handle := func(ctx context.Context, p follow.Page) error {
		if err := c.handle(ctx, p); err != nil {
			return err
		}
		return follow.ErrStop
	}
	f := newFollower(t, follow.Config{Log: store, Start: c.start, Handle: handle, PageSize: 4})
	require.NoError(t, f.Run(context.Background()))
	assert.Equal(t, seq(1, 4), c.snapshot())
	assert.Equal(t, uint64(4), f.Status().Position)
}

func TestRawLeavesEventsUndecoded(t *testing.T) {
	t.Parallel()
	store := openSQLite(t)
	appendTickets(t, store, 11, 2)
	c := &consumer{}
	f := newFollower(t, follow.Config{Log: store, Start: c.start, Handle: c.handle, Raw: true, StopAtHead: true})
	require.NoError(t, f.Run(context.Background()))
	require.NotEmpty(t, c.pages)
	for _, ev := range c.pages[0].Events {
		assert.NotEmpty(t, ev.Record.Data)
		assert.Zero(t, ev.Env.ID)
	}
}

func TestCancellationStopsPromptly(t *testing.T) {
	t.Parallel()
	store := openSQLite(t)
	appendTickets(t, store, 12, 3)

	t.Run("live", func(t *testing.T) {
		c := &consumer{}
		f := newFollower(t, follow.Config{Log: store, Start: c.start, Handle: c.handle})
		stop := run(t, f)
		require.Eventually(t, func() bool { return f.Status().State == follow.Live }, waitTimeout, time.Millisecond)
		require.ErrorIs(t, stop(), context.Canceled)
		assert.Equal(t, follow.Stopped, f.Status().State)
	})
	t.Run("waiting to retry", func(t *testing.T) {
		log := &faultyLog{Store: store, failSubscribe: 1}
		c := &consumer{}
		f := newFollower(t, follow.Config{Log: log, Start: c.start, Handle: c.handle, Backoff: follow.Backoff{Initial: time.Hour, Max: time.Hour}})
		stop := run(t, f)
		require.Eventually(t, func() bool { return f.Status().State == follow.Retrying }, waitTimeout, time.Millisecond)
		began := time.Now()
		require.ErrorIs(t, stop(), context.Canceled)
		assert.Less(t, time.Since(began), 5*time.Second, "the backoff's wait ends with ctx")
	})
	t.Run("in the handler", func(t *testing.T) {
		entered := make(chan struct{})
		var once sync.Once
		handle := func(ctx context.Context, p follow.Page) error {
			once.Do(func() { close(entered) })
			<-ctx.Done()
			return ctx.Err()
		}
		f := newFollower(t, follow.Config{Log: store, Start: func(context.Context) (uint64, error) { return 0, nil }, Handle: handle})
		stop := run(t, f)
		<-entered
		require.ErrorIs(t, stop(), context.Canceled)
		assert.Equal(t, follow.Stopped, f.Status().State)
	})
}

func TestRunOnceAtATime(t *testing.T) {
	t.Parallel()
	store := openSQLite(t)
	c := &consumer{}
	f := newFollower(t, follow.Config{Log: store, Start: c.start, Handle: c.handle})
	run(t, f)
	require.Eventually(t, func() bool { return f.Status().State == follow.Live }, waitTimeout, time.Millisecond)
	assert.ErrorIs(t, f.Run(context.Background()), follow.ErrRunning)
}

func TestConfigIsChecked(t *testing.T) {
	t.Parallel()
	_, err := follow.New(follow.Config{})
	require.Error(t, err)
	for _, want := range []string{"Log", "Start", "Handle"} {
		assert.Contains(t, err.Error(), want)
	}
	_, err = follow.New(follow.Config{Log: openSQLite(t), Start: (&consumer{}).start, Handle: (&consumer{}).handle, PageSize: -1})
	assert.Error(t, err)
}

func TestBackoffIsCappedAndJittered(t *testing.T) {
	t.Parallel()
	b := follow.Backoff{Initial: 100 * time.Millisecond, Max: time.Second}
	for _, tc := range []struct {
		attempt int
		ceiling time.Duration
	}{{1, 100 * time.Millisecond}, {2, 200 * time.Millisecond}, {3, 400 * time.Millisecond}, {4, 800 * time.Millisecond}, {5, time.Second}, {60, time.Second}} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := b.Delay(tc.attempt)
			require.GreaterOrEqual(t, d, tc.ceiling/2, "attempt %d", tc.attempt)
			require.LessOrEqual(t, d, tc.ceiling, "attempt %d", tc.attempt)
			seen[d] = true
		}
		assert.Greater(t, len(seen), 10, "attempt %d: jittered", tc.attempt)
	}
}

func TestHeadFindsTheLastPosition(t *testing.T) {
	t.Parallel()
	store := openSQLite(t)
	ctx := context.Background()
	head, err := follow.Head(ctx, store)
	require.NoError(t, err)
	assert.Zero(t, head)
	n := uint64(len(appendTickets(t, store, 13, 7)))
	head, err = follow.Head(ctx, store)
	require.NoError(t, err)
	assert.Equal(t, n, head)
}

// readerOnly hides a store's Subscribe.
type readerOnly struct{ follow.Reader }

func TestPollFollowsALogWithoutSubscribe(t *testing.T) {
	t.Parallel()
	store := openSQLite(t)
	head := uint64(len(appendTickets(t, store, 14, 5)))
	_, err := follow.New(follow.Config{Log: readerOnly{store}, Start: (&consumer{}).start, Handle: (&consumer{}).handle})
	require.Error(t, err, "no Subscribe and no Poll")

	c := &consumer{}
	f := newFollower(t, follow.Config{Log: readerOnly{store}, Start: c.start, Handle: c.handle, Poll: 5 * time.Millisecond})
	run(t, f)
	c.waitFor(t, head)
	require.Eventually(t, func() bool { return f.Status().State == follow.Live }, waitTimeout, time.Millisecond)
	more := uint64(len(appendTickets(t, store, 15, 5)))
	c.waitFor(t, head+more)
	assert.Equal(t, seq(1, head+more), c.snapshot())
	assert.True(t, c.pages[len(c.pages)-1].Tail, "each poll reads to the head")
}

func TestRunningReportsIdleUntilSet(t *testing.T) {
	var r follow.Running
	require.Equal(t, follow.Status{Name: "x", State: follow.Idle}, r.Status("x"))
	f := newFollower(t, follow.Config{Name: "named", Log: openSQLite(t),
		Start:  func(context.Context) (uint64, error) { return 0, nil },
		Handle: func(context.Context, follow.Page) error { return nil }})
	r.Set(f)
	require.Equal(t, "named", r.Status("x").Name, "the running follower's own status, not the placeholder")
}
