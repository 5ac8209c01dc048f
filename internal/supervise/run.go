package supervise

import (
	"context"
	"errors"
	"time"
)

// Job is a component's work: it runs until ctx ends (returning nil or
// ctx's error) or fails.
type Job func(ctx context.Context) error

// Options tune Run.
type Options struct {
	Backoff Backoff
	// HealthyAfter is how long a job must run before its next failure
	// counts as the first again (the backoff starts over). Default 30s.
	HealthyAfter time.Duration
	// OnRestart, if set, is told of each failure before the wait.
	OnRestart func(err error, wait time.Duration)
}

func (o Options) healthyAfter() time.Duration {
	if o.HealthyAfter <= 0 {
		return 30 * time.Second
	}
	return o.HealthyAfter
}

// Run runs job until ctx ends, restarting it after each failure with the
// backoff; a Permanent error stops it for good (Broken). It returns when ctx
// ends or the component broke.
func (c *Component) Run(ctx context.Context, job Job, o Options) {
	failures := 0
	for ctx.Err() == nil {
		c.set(OK, nil, nil)
		began := time.Now()
		err := job(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("stopped without an error")
		}
		if IsPermanent(err) {
			c.set(Broken, err, nil)
			return
		}
		if time.Since(began) >= o.healthyAfter() {
			failures = 0
		}
		wait := o.Backoff.Delay(failures)
		failures++
		at := c.reg.now().Add(wait)
		c.set(Retrying, err, func(s *Status) { s.Restarts++; s.RetryAt = &at })
		if o.OnRestart != nil {
			o.OnRestart(err, wait)
		}
		if !sleep(ctx, wait) {
			return
		}
	}
}

// sleep waits d or until ctx ends; false if ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
