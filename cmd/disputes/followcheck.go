package main

import (
	"errors"
	"sync"

	"github.com/disputes-ledger/disputes/eventstore/follow"
)

// followed is a component that reads the log through a follow.Follower:
// the projector, the forwarder, the sealer.
type followed interface{ Status() follow.Status }

// runningFollower holds the component a supervised job runs now, so that
// its readiness check can read the follower's state. A follower retries a
// failed read by itself, without returning to the supervisor: without this
// check a projector stuck against a dead store would show ok in /readyz.
type runningFollower struct {
	mu  sync.Mutex
	cur followed
}

// run records f as running until the returned func is called.
func (r *runningFollower) run(f followed) (done func()) {
	r.mu.Lock()
	r.cur = f
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.cur == f {
			r.cur = nil
		}
	}
}

// status returns the running follower's status, and false when none runs
// (the component stands by, or is between runs).
func (r *runningFollower) status() (follow.Status, bool) {
	r.mu.Lock()
	f := r.cur
	r.mu.Unlock()
	if f == nil {
		return follow.Status{}, false
	}
	return f.Status(), true
}

// check is the component's readiness check: not ready until its job has
// prepared what it needs (the read models' tables, a broker connection) and
// started its follower, nor while the follower is retrying (or stopped on
// an error), with the follower's status — the last error, the attempt, the
// position and lag — as the reason.
func (r *runningFollower) check() error {
	st, ok := r.status()
	if !ok {
		return errNotFollowingYet
	}
	return followerHealth(st)
}

// errNotFollowingYet: the job runs but its follower has not started.
var errNotFollowingYet = errors.New("preparing: not following the log yet")

// followerHealth says why a follower in st is not doing its work, or nil.
// Catching up counts as healthy here: the supervisor's own states say when
// a component is still starting.
func followerHealth(st follow.Status) error {
	if st.State == follow.Retrying || (st.State == follow.Stopped && st.Err != nil) {
		return errors.New(st.String())
	}
	return nil
}
