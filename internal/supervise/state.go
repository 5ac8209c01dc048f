package supervise

import (
	"errors"
	"time"
)

// State is what a component is doing.
type State string

const (
	// OK: running (and, if it has a readiness check, passing it).
	OK State = "ok"
	// Standby: waiting for a lease another replica holds; ready to take over.
	Standby State = "standby"
	// Starting: running but not yet ready (catching up with the log).
	Starting State = "starting"
	// Retrying: stopped on an error, restarting after a backoff.
	Retrying State = "retrying"
	// Broken: stopped on an error retrying cannot fix; needs an operator.
	Broken State = "broken"
)

// States lists every state, for metrics that export one series per state.
var States = []State{OK, Standby, Starting, Retrying, Broken}

// Ready reports whether a component in this state lets the process serve.
func (s State) Ready() bool { return s == OK || s == Standby }

// Status is a component's state as /readyz shows it.
type Status struct {
	State State `json:"state"`
	// Since is when the component entered State.
	Since time.Time `json:"since"`
	// LastError is the error that made it retry or break, or the reason it
	// is not ready yet; the last error also stays after it recovered, with
	// LastErrorAt, so an operator sees what happened.
	LastError   string     `json:"last_error,omitempty"`
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
	// Restarts counts restarts after an error since the process began.
	Restarts uint64 `json:"restarts"`
	// RetryAt is when a retrying component starts again.
	RetryAt *time.Time `json:"retry_at,omitempty"`
	// Lease is the lease the component needs, Token the fencing token it
	// holds (0 when it does not), and Owner the holder another replica's
	// lease names while this one stands by.
	Lease string `json:"lease,omitempty"`
	Token uint64 `json:"token,omitempty"`
	Owner string `json:"owner,omitempty"`
	// Optional components do not hold readiness back when not ready.
	Optional bool `json:"optional,omitempty"`
}

// permanent marks an error that retrying cannot fix.
type permanent struct{ err error }

func (p *permanent) Error() string { return p.err.Error() }
func (p *permanent) Unwrap() error { return p.err }

// Permanent reports true: see IsPermanent.
func (p *permanent) Permanent() bool { return true }

// permanentMark is how an error says retrying cannot fix it. Packages
// below the wiring mark their own errors this way without importing this
// one (eventstore/follow's Broken errors do).
type permanentMark interface{ Permanent() bool }

// Permanent marks err as one that restarting the component cannot fix: the
// supervisor stops it and reports it broken. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanent{err}
}

// IsPermanent reports whether err, or an error it wraps, says retrying
// cannot fix it: marked by Permanent, or any error with a method
// Permanent() bool that returns true (a log follower's Broken error). Only
// such an error breaks a component; every other one is retried.
func IsPermanent(err error) bool {
	var m permanentMark
	return errors.As(err, &m) && m.Permanent()
}
