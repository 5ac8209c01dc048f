package projections

import (
	"errors"
	"fmt"
)

// ErrStopped is returned (wrapped) by Projector.Run when a projection
// stopped on a failure; the Report says which and why.
var ErrStopped = errors.New("projection stopped")

// ErrCheckpointMoved is reported when a projection's checkpoint changed
// under it: another process is running the same projection, or rebuilt it.
// The projection stops without writing.
var ErrCheckpointMoved = errors.New("checkpoint moved: another projector is writing this projection")

// ErrFenced is what a Fence returns (wrapped) when it refuses the write:
// another owner holds a newer token. The projection stops without writing.
// Any other error from a Fence (a dropped connection, say) is retried like
// any failure of the read-model database.
var ErrFenced = errors.New("fenced: another owner writes these read models")

// ErrUnknownProjection is returned for a projection name that is not registered.
var ErrUnknownProjection = errors.New("unknown projection")

// PoisonError is an event a projection cannot apply: undecodable, or refused
// by the projection. The event is parked and the projection stops at it,
// never skipping it.
type PoisonError struct {
	Projection string
	Failure    Failure
	Err        error
}

func (e *PoisonError) Error() string {
	return fmt.Sprintf("%s cannot apply position %d (%s %s revision %d): %v",
		e.Projection, e.Failure.Position, e.Failure.EventType, e.Failure.Stream, e.Failure.Revision, e.Err)
}

// Unwrap returns the cause.
func (e *PoisonError) Unwrap() error { return e.Err }

// Failure describes why a projection stopped.
type Failure struct {
	// Position is the global position of the event at fault; 0 when the
	// failure is not an event's (a database that stayed unavailable).
	Position  uint64
	EventID   string
	Stream    string
	Revision  uint64
	EventType string
	Reason    string
	// Parked is true when the event was recorded in rm_parked.
	Parked bool
}

// ApplyError is what a projection returns from Apply for an event it refuses.
type ApplyError struct{ Reason string }

func (e *ApplyError) Error() string { return e.Reason }

func refuse(format string, args ...any) error {
	return &ApplyError{Reason: fmt.Sprintf(format, args...)}
}
