package clock

import (
	"fmt"
	"sync"
	"time"
)

// Clock is the time the scheduler and the command handler agree on. The
// handler decides commands at Now, and the scheduler fires a deadline once
// Now has reached it, so both must be given the same Clock.
type Clock interface {
	// Now returns the clock's current time.
	Now() time.Time
	// NewTimer returns a channel that receives once d of this clock's time
	// has passed (at once for d <= 0), and a function that stops the timer
	// and releases it.
	NewTimer(d time.Duration) (<-chan time.Time, func())
}

// RealClock is the wall clock.
type RealClock struct{}

// Now implements Clock.
func (RealClock) Now() time.Time { return time.Now() }

// NewTimer implements Clock.
func (RealClock) NewTimer(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// ScaledClock runs Speed times faster than the wall clock from Origin on:
// at speed 3600 an hour of deadlines passes every real second, which lets a
// demo watch days of a dispute compress into minutes. It reads the
// monotonic clock, so wall-clock steps do not move it.
type ScaledClock struct {
	origin time.Time
	start  time.Time
	speed  float64
}

// NewScaledClock returns a clock that reads origin now and advances speed
// times faster than real time. speed must be positive.
func NewScaledClock(origin time.Time, speed float64) (*ScaledClock, error) {
	if !(speed > 0) {
		return nil, fmt.Errorf("clock speed must be positive, got %v", speed)
	}
	return &ScaledClock{origin: origin, start: time.Now(), speed: speed}, nil
}

// Now implements Clock.
func (c *ScaledClock) Now() time.Time {
	return c.origin.Add(time.Duration(float64(time.Since(c.start)) * c.speed))
}

// NewTimer implements Clock: d of clock time is d/speed of real time.
func (c *ScaledClock) NewTimer(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(time.Duration(float64(d) / c.speed))
	return t.C, func() { t.Stop() }
}

// Speed returns how many clock seconds pass per real second.
func (c *ScaledClock) Speed() float64 { return c.speed }

// ManualClock only moves when told to: for tests.
type ManualClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// NewManualClock returns a clock stopped at now.
func NewManualClock(now time.Time) *ManualClock { return &ManualClock{now: now} }

// Now implements Clock.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer implements Clock.
func (c *ManualClock) NewTimer(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch, func() {}
	}
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), ch: ch})
	return ch, func() { c.stop(ch) }
}

func (c *ManualClock) stop(ch chan time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, w := range c.waiters {
		if w.ch == ch {
			c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
			return
		}
	}
}

// Waiters returns the number of timers waiting: tests use it to know that
// a scheduler has gone to sleep before they move the clock.
func (c *ManualClock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// Advance moves the clock forward by d and wakes the waiters it passes.
func (c *ManualClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// Set moves the clock to t (never backwards) and wakes the waiters it passes.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}
