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

// A consumer ends a run with an error in one of two ways, and they mean
// different things to whoever runs it:
//
//   - Halt: this run must end here and the error go to Run's caller, which
//     decides what next — a seal that could not be stored, a checkpoint
//     that could not be saved (the lease may have moved). Nothing says it
//     will fail again: a supervisor restarts the job after a backoff.
//   - Broken: nothing will ever get past this — an event the consumer can
//     never apply, a log changed under a seal. The follower stops, and so
//     must its supervisor: restarting would fail the same way forever.
//
// Every other error from Start or Handle (and every failure to read the
// log) is retried by the Follower itself, from the consumer's position.

// HaltError ends a run and hands Err to Run's caller without a retry here.
type HaltError struct{ Err error }

func (e *HaltError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *HaltError) Unwrap() error { return e.Err }

// Halt marks err as ending the run: the Follower stops and Run returns it,
// for the caller to decide (typically to run the job again later). It says
// nothing about whether a new run would fail too. Halt(nil) is nil.
func Halt(err error) error {
	if err == nil {
		return nil
	}
	return &HaltError{Err: err}
}

// BrokenError is a failure no retry can fix.
type BrokenError struct{ Err error }

func (e *BrokenError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *BrokenError) Unwrap() error { return e.Err }

// Permanent reports true: a supervisor that recognises errors by this
// method (internal/supervise does) marks the job broken instead of
// restarting it.
func (e *BrokenError) Permanent() bool { return true }

// Broken marks err as a failure no retry can fix — an event the consumer
// can never apply, a log that changed under what the consumer committed:
// the Follower stops and Run returns it, and a supervisor does not restart
// the job. Broken(nil) is nil.
func Broken(err error) error {
	if err == nil {
		return nil
	}
	return &BrokenError{Err: err}
}

// IsBroken reports whether err, or an error it wraps, was marked Broken.
func IsBroken(err error) bool {
	var b *BrokenError
	return errors.As(err, &b)
}

// isHalt reports whether err, or an error it wraps, was marked Halt.
func isHalt(err error) bool {
	var h *HaltError
	return errors.As(err, &h)
}

// gapError reports a delivered position that is not the next one.
func gapError(got, after uint64) error {
	return fmt.Errorf("position %d delivered after %d: %w", got, after, ErrGap)
}
