package supervise

import (
	"sync"
	"time"
)

// Registry holds the components of one process, in the order added.
type Registry struct {
	mu    sync.Mutex
	comps []*Component
	now   func() time.Time
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{now: time.Now} }

// Add registers a component under name; optional components are shown but
// never hold readiness back. check, if not nil, is asked while the
// component runs: an error keeps it Starting (say, still reading the log).
func (r *Registry) Add(name string, optional bool, check func() error) *Component {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := &Component{reg: r, name: name, check: check,
		status: Status{State: Starting, Since: r.now(), Optional: optional}}
	r.comps = append(r.comps, c)
	return c
}

// Named is one component's status under its name.
type Named struct {
	Name string `json:"name"`
	Status
}

// Snapshot returns every component's status, in the order added.
func (r *Registry) Snapshot() []Named {
	r.mu.Lock()
	comps := append([]*Component(nil), r.comps...)
	r.mu.Unlock()
	out := make([]Named, len(comps))
	for i, c := range comps {
		out[i] = Named{Name: c.name, Status: c.Status()}
	}
	return out
}

// Ready reports whether every required component is ok or standing by.
func Ready(snap []Named) bool {
	for _, n := range snap {
		if !n.Optional && !n.State.Ready() {
			return false
		}
	}
	return true
}

// Component is one supervised part of the process.
type Component struct {
	reg   *Registry
	name  string
	check func() error

	mu     sync.Mutex
	status Status
}

// Name returns the component's name.
func (c *Component) Name() string { return c.name }

// Status returns the component's current status; a running component whose
// check fails is shown Starting, with the check's reason.
func (c *Component) Status() Status {
	c.mu.Lock()
	st := c.status
	c.mu.Unlock()
	if st.State == OK && c.check != nil {
		if err := c.check(); err != nil {
			st.State = Starting
			st.LastError = err.Error()
			st.LastErrorAt = nil
		}
	}
	return st
}

// set moves the component to state; err, if not nil, becomes its last error.
func (c *Component) set(state State, err error, edit func(*Status)) {
	now := c.reg.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.status.State != state {
		c.status.Since = now
	}
	c.status.State = state
	if err != nil {
		c.status.LastError = err.Error()
		c.status.LastErrorAt = &now
	}
	if state != Retrying {
		c.status.RetryAt = nil
	}
	if edit != nil {
		edit(&c.status)
	}
}
