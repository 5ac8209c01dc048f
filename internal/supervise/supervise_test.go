package supervise_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/internal/supervise"
)

func TestBackoffDoublesToItsCapWithJitterInTheUpperHalf(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		r    float64
		want time.Duration
	}{
		{"first, lowest draw", 0, 0, 50 * time.Millisecond},
		{"first, highest draw", 0, 0.999999999, 100 * time.Millisecond},
		{"third", 2, 0, 200 * time.Millisecond},
		{"capped", 10, 0, 500 * time.Millisecond},
		{"capped, highest", 60, 0.999999999, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := supervise.Backoff{Initial: 100 * time.Millisecond, Max: time.Second, Rand: func() float64 { return tc.r }}
			assert.InDelta(t, tc.want, b.Delay(tc.n), float64(time.Millisecond))
		})
	}
}

var fast = supervise.Options{Backoff: supervise.Backoff{Initial: 10 * time.Millisecond, Max: 20 * time.Millisecond}}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, 5*time.Millisecond, what)
}

func TestRunRestartsAFailedJobAndRecordsTheError(t *testing.T) {
	reg := supervise.NewRegistry()
	c := reg.Add("projector", false, nil)
	var runs atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(ctx, func(ctx context.Context) error {
			if runs.Add(1) <= 3 {
				return errors.New("SQLSTATE 57P01")
			}
			<-ctx.Done()
			return ctx.Err()
		}, fast)
	}()
	eventually(t, "fourth run", func() bool { return runs.Load() == 4 })
	eventually(t, "ok again", func() bool { return c.Status().State == supervise.OK })
	st := c.Status()
	assert.Equal(t, uint64(3), st.Restarts)
	assert.Equal(t, "SQLSTATE 57P01", st.LastError, "the last error stays visible after recovery")
	assert.True(t, supervise.Ready(reg.Snapshot()))
	cancel()
	<-done
}

func TestRunStopsOnAPermanentError(t *testing.T) {
	reg := supervise.NewRegistry()
	c := reg.Add("sealer", false, nil)
	runs := 0
	c.Run(context.Background(), func(context.Context) error {
		runs++
		return supervise.Permanent(errors.New("sealed log changed"))
	}, fast)
	assert.Equal(t, 1, runs, "not retried")
	st := c.Status()
	assert.Equal(t, supervise.Broken, st.State)
	assert.Equal(t, "sealed log changed", st.LastError)
	assert.False(t, supervise.Ready(reg.Snapshot()))
}

func TestReadinessCountsOnlyRequiredComponentsAndChecks(t *testing.T) {
	reg := supervise.NewRegistry()
	caughtUp := atomic.Bool{}
	sched := reg.Add("scheduler", false, func() error {
		if !caughtUp.Load() {
			return errors.New("still reading the log")
		}
		return nil
	})
	fwd := reg.Add("forwarder", true, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		sched.Run(ctx, func(ctx context.Context) error { <-ctx.Done(); return nil }, fast)
	}()
	go func() {
		defer wg.Done()
		fwd.Run(ctx, func(context.Context) error { return errors.New("nats: no servers") }, fast)
	}()
	eventually(t, "forwarder retrying", func() bool { return fwd.Status().State == supervise.Retrying })
	assert.Equal(t, supervise.Starting, sched.Status().State)
	assert.Equal(t, "still reading the log", sched.Status().LastError)
	assert.False(t, supervise.Ready(reg.Snapshot()), "a required component not caught up")
	caughtUp.Store(true)
	assert.True(t, supervise.Ready(reg.Snapshot()), "an optional one retrying does not hold readiness back")
	snap := reg.Snapshot()
	require.Len(t, snap, 2)
	assert.Equal(t, "scheduler", snap[0].Name, "in the order added")
	cancel()
	wg.Wait()
}

// fakeLease is a lease the test hands out and takes away.
type fakeLease struct {
	mu       sync.Mutex
	token    uint64
	held     bool
	fail     error
	released []uint64
}

func (f *fakeLease) Name() string       { return "projector" }
func (f *fakeLease) TTL() time.Duration { return 60 * time.Millisecond }
func (f *fakeLease) Acquire(context.Context) (uint64, bool, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return 0, false, "", f.fail
	}
	if !f.held {
		return 0, false, "replica-2", nil
	}
	return f.token, true, "", nil
}
func (f *fakeLease) Release(_ context.Context, token uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.released = append(f.released, token)
	return nil
}
func (f *fakeLease) set(token uint64, held bool, fail error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.token, f.held, f.fail = token, held, fail
}

func TestRunLeasedStandsByRunsWhileHeldAndStopsWhenLost(t *testing.T) {
	reg := supervise.NewRegistry()
	c := reg.Add("projector", false, nil)
	lease := &fakeLease{}
	var mu sync.Mutex
	running := map[uint64]bool{}
	job := func(ctx context.Context, token uint64) error {
		mu.Lock()
		running[token] = true
		mu.Unlock()
		<-ctx.Done()
		mu.Lock()
		running[token] = false
		mu.Unlock()
		return nil
	}
	isRunning := func(token uint64) bool { mu.Lock(); defer mu.Unlock(); return running[token] }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.RunLeased(ctx, lease, job, fast) }()

	eventually(t, "standby", func() bool { return c.Status().State == supervise.Standby && c.Status().Owner == "replica-2" })
	assert.True(t, supervise.Ready(reg.Snapshot()), "standing by is ready")
	assert.Empty(t, running)

	lease.set(7, true, nil)
	eventually(t, "runs with token 7", func() bool { return isRunning(7) })
	assert.Equal(t, supervise.OK, c.Status().State)
	assert.Equal(t, uint64(7), c.Status().Token)

	lease.set(8, true, nil)
	eventually(t, "restarted with the new token", func() bool { return isRunning(8) && !isRunning(7) })

	lease.set(0, false, nil)
	eventually(t, "stopped when lost", func() bool { return !isRunning(8) && c.Status().State == supervise.Standby })

	lease.set(9, true, nil)
	eventually(t, "taken again", func() bool { return isRunning(9) })
	lease.set(9, true, errors.New("connection refused"))
	eventually(t, "stops itself once the grant may have expired", func() bool { return !isRunning(9) })
	eventually(t, "retrying", func() bool { return c.Status().State == supervise.Retrying })
	assert.Contains(t, c.Status().LastError, "connection refused")

	lease.set(9, true, nil)
	eventually(t, "back", func() bool { return isRunning(9) })
	cancel()
	<-done
	assert.Equal(t, []uint64{9}, lease.released, "released on the way out")
}
