package follow

import "sync"

// Running holds the follower a consumer is running now, so that another
// goroutine (readiness, metrics) can read its Status. The zero value holds
// none and reports Idle.
type Running struct {
	mu sync.Mutex
	f  *Follower
}

// Set records f as the running follower.
func (r *Running) Set(f *Follower) {
	r.mu.Lock()
	r.f = f
	r.mu.Unlock()
}

// Status returns the running follower's status, or Idle under name when
// none has been set yet.
func (r *Running) Status(name string) Status {
	r.mu.Lock()
	f := r.f
	r.mu.Unlock()
	if f == nil {
		return Status{Name: name, State: Idle}
	}
	return f.Status()
}
