package events

import (
	"errors"
	"fmt"
)

// ErrMalformed is returned (wrapped) by Decode for bytes that are not a
// well-formed, canonical envelope.
var ErrMalformed = errors.New("malformed event")

// ErrHashMismatch is returned (wrapped) by Decode and VerifyChain when an
// event's hash does not match its content or its predecessor.
var ErrHashMismatch = errors.New("hash mismatch")

// UnknownTypeError is returned for an event type not in the catalogue.
type UnknownTypeError struct{ Type string }

func (e *UnknownTypeError) Error() string { return fmt.Sprintf("unknown event type %q", e.Type) }

// VersionError is returned for a schema version the codec cannot read.
type VersionError struct {
	Type    string
	Version int
	Want    int
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("event type %q: unsupported schema version %d (current %d)", e.Type, e.Version, e.Want)
}

// ChainError locates a break in a stream's hash chain.
type ChainError struct {
	Stream   string
	Revision uint64
	Reason   string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("stream %s revision %d: %s", e.Stream, e.Revision, e.Reason)
}

// Unwrap lets errors.Is(err, ErrHashMismatch) match.
func (e *ChainError) Unwrap() error { return ErrHashMismatch }
