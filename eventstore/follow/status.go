package follow

import (
	"fmt"
	"time"
)

// State is where a Follower is.
type State string

// The states of a Follower.
const (
	// Idle: Run has not begun.
	Idle State = "idle"
	// CatchingUp: reading the stored log towards its head.
	CatchingUp State = "catching_up"
	// Live: at the head, delivering events as they commit (or, with
	// Config.Poll, as each read finds them).
	Live State = "live"
	// Retrying: the last attempt failed (Status.Err); the next begins at
	// Status.RetryAt.
	Retrying State = "retrying"
	// Stopped: Run returned — with Status.Err, or nil after a clean end
	// (Until, StopAtHead, ErrStop or ctx).
	Stopped State = "stopped"
)

// States lists every state, for metrics that export one series per state.
var States = []State{Idle, CatchingUp, Live, Retrying, Stopped}

// Status is a snapshot of a Follower, for readiness checks and metrics.
type Status struct {
	Name  string
	State State
	// Since is when the follower entered State.
	Since time.Time
	// Position is the last position the consumer handled (or, before the
	// first page of an attempt, the position Start returned).
	Position uint64
	// Head is the newest position the follower knows to be in the log: the
	// head found when an attempt began, or a later position it received.
	Head uint64
	// Lag is Head - Position: the events known to wait for the consumer.
	Lag uint64
	// Err is the last failure while Retrying, and why Run returned when
	// Stopped (nil for a clean end or cancellation).
	Err error
	// Attempt counts the consecutive failed attempts while Retrying.
	Attempt int
	// RetryAt is when the next attempt begins, while Retrying.
	RetryAt time.Time
}

// Healthy reports whether the follower is doing its work: catching up or
// live. A follower that is retrying, stopped or not yet started is not.
func (s Status) Healthy() bool { return s.State == CatchingUp || s.State == Live }

// String describes the status in one line, e.g. "projections: live at
// position 42 (lag 0)".
func (s Status) String() string {
	out := fmt.Sprintf("%s: %s at position %d (lag %d)", s.Name, s.State, s.Position, s.Lag)
	switch {
	case s.State == Retrying:
		out += fmt.Sprintf(", attempt %d failed: %v; retrying at %s", s.Attempt, s.Err, s.RetryAt.UTC().Format(time.RFC3339))
	case s.Err != nil:
		out += fmt.Sprintf(": %v", s.Err)
	}
	return out
}
