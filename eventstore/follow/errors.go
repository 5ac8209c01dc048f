package follow

import (
	"errors"
	"fmt"
)

// ErrStop is returned (possibly wrapped) by a Handler that wants no more
// pages: Run then returns nil. The page it was given counts as handled.
var ErrStop = errors.New("stop following")

// ErrGap is returned (wrapped) when the store delivered a position other
// than the next one. The store promises a gap-free log, so this is treated
// as a store failure: retried from the consumer's position.
var ErrGap = errors.New("the global log skipped a position")

// ErrGaveUp is returned (wrapped, with the last failure) by Run when
// Config.MaxAttempts consecutive attempts failed.
var ErrGaveUp = errors.New("gave up following the log")

// PermanentError is an error retrying cannot fix: Run stops and returns it.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as one retrying cannot fix — an event the consumer can
// never apply — so that the Follower stops and reports it instead of
// retrying. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked Permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// gapError reports a delivered position that is not the next one.
func gapError(got, after uint64) error {
	return fmt.Errorf("position %d delivered after %d: %w", got, after, ErrGap)
}
