package supervise

import (
	"context"
	"errors"
	"time"
)

// Lease is one named lease shared by the replicas of a ledger (package
// internal/coord implements it on PostgreSQL, and trivially for one
// process). Each acquisition by a new holder gets a higher fencing token.
type Lease interface {
	// Name names the lease (say "projector").
	Name() string
	// TTL is how long a grant lasts unless renewed.
	TTL() time.Duration
	// Acquire takes the lease or renews it. held is false when another
	// holder has it; owner then names that holder.
	Acquire(ctx context.Context) (token uint64, held bool, owner string, err error)
	// Release gives the lease up at once, so a standby takes over without
	// waiting for it to expire.
	Release(ctx context.Context, token uint64) error
}

// LeasedJob is a job that runs only while its lease is held; token is the
// fencing token its writes carry.
type LeasedJob func(ctx context.Context, token uint64) error

// RunLeased runs job under lease until ctx ends: while another replica
// holds the lease the component stands by; once it holds the lease it runs
// the job as Run does, renewing the lease every TTL/3. The job is stopped
// when the lease goes to another holder, when its token changes, or when
// the lease could not be renewed for 3/4 of the TTL (it may have expired:
// the job stops itself before another owner starts). On the way out the
// lease is released.
func (c *Component) RunLeased(ctx context.Context, lease Lease, job LeasedJob, o Options) {
	ttl := lease.TTL()
	every := ttl / 3
	// Starting until the first answer: standing by is only claimed once
	// another holder is known to have the lease.
	c.set(Starting, nil, func(s *Status) { s.Lease = lease.Name() })
	var (
		cur      *leasedRun
		lastHeld time.Time // when the last successful acquisition began
	)
	stop := func() {
		if cur != nil {
			cur.cancel()
			<-cur.done
			cur = nil
		}
	}
	defer func() {
		if cur != nil {
			token := cur.token
			stop()
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), every)
			_ = lease.Release(rctx, token)
			cancel()
		}
	}()
	for ctx.Err() == nil {
		asked := time.Now()
		actx, cancel := context.WithTimeout(ctx, every)
		token, held, owner, err := lease.Acquire(actx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		switch {
		case err != nil:
			if cur != nil && time.Since(lastHeld) >= ttl*3/4 {
				stop() // the lease may be gone: stop before another owner starts
			}
			if cur == nil {
				c.set(Retrying, errors.Join(errors.New("lease "+lease.Name()+" unreachable"), err), func(s *Status) { s.Token = 0 })
			}
		case held:
			lastHeld = asked
			if cur != nil && cur.token != token {
				stop()
			}
			if cur == nil {
				cur = c.startLeased(ctx, job, token, o)
			}
		default:
			stop()
			c.set(Standby, nil, func(s *Status) { s.Token, s.Owner = 0, owner })
		}
		if !sleep(ctx, every) {
			return
		}
	}
}

type leasedRun struct {
	token  uint64
	cancel context.CancelFunc
	done   chan struct{}
}

func (c *Component) startLeased(ctx context.Context, job LeasedJob, token uint64, o Options) *leasedRun {
	rctx, cancel := context.WithCancel(ctx)
	r := &leasedRun{token: token, cancel: cancel, done: make(chan struct{})}
	c.set(OK, nil, func(s *Status) { s.Token, s.Owner = token, "" })
	go func() {
		defer close(r.done)
		c.Run(rctx, func(ctx context.Context) error { return job(ctx, token) }, o)
	}()
	return r
}
