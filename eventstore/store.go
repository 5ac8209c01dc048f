// Package eventstore defines the port every event-store backend implements:
// per-stream appends with optimistic concurrency, stream reads, and an
// ordered, gap-free global log that projections read and subscribe to.
//
// The store is deliberately ignorant of the event catalogue: it stores opaque,
// already-encoded envelopes (see package events) together with the few fields
// it must index. Hash chains, schema versions and payloads are the business of
// the layers above. It knows one thing about an envelope: the header its
// bytes begin with, which must agree with the indexed fields (columns.go).
package eventstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// ExpectedRevision states what the writer believes about a stream before an
// append. Use Any, NoStream, or Exact(rev).
type ExpectedRevision struct {
	kind expectKind
	rev  uint64
}

type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectExact
)

// Any accepts the append whatever the stream's current revision.
func Any() ExpectedRevision { return ExpectedRevision{kind: expectAny} }

// NoStream accepts the append only if the stream has no events yet.
func NoStream() ExpectedRevision { return ExpectedRevision{kind: expectNoStream} }

// Exact accepts the append only if the stream's last event has revision rev.
func Exact(rev uint64) ExpectedRevision { return ExpectedRevision{kind: expectExact, rev: rev} }

// IsAny reports whether e is Any().
func (e ExpectedRevision) IsAny() bool { return e.kind == expectAny }

// IsNoStream reports whether e is NoStream().
func (e ExpectedRevision) IsNoStream() bool { return e.kind == expectNoStream }

// Revision returns the exact revision expected and true, or false for Any and NoStream.
func (e ExpectedRevision) Revision() (uint64, bool) { return e.rev, e.kind == expectExact }

// Allows reports whether a stream whose last revision is last (exists=false
// for a missing stream) satisfies e.
func (e ExpectedRevision) Allows(last uint64, exists bool) bool {
	switch e.kind {
	case expectNoStream:
		return !exists
	case expectExact:
		return exists && last == e.rev
	default:
		return true
	}
}

func (e ExpectedRevision) String() string {
	switch e.kind {
	case expectNoStream:
		return "no stream"
	case expectExact:
		return fmt.Sprintf("revision %d", e.rev)
	default:
		return "any"
	}
}

// EventData is one event handed to Append. Revision is assigned by the store:
// the first event of a stream has revision 0, and each next one the previous
// plus one. Writers that chain hashes compute the revision themselves from the
// expected revision; the store rejects the append if its own numbering would
// differ (see ErrConcurrency).
type EventData struct {
	ID       uuid.UUID // unique across the store; re-appending the same ID is a no-op
	Type     string    // wire name, e.g. "refund.requested"; indexed for filtering
	Revision uint64    // the revision the writer encoded into Data
	Data     []byte    // the encoded envelope, stored and returned byte for byte
}

// RecordedEvent is an event as read back from the store.
type RecordedEvent struct {
	ID       uuid.UUID
	Stream   string
	Revision uint64
	Type     string
	Data     []byte
	// Position is the event's place in the global log: starting at 1, strictly
	// increasing, gap-free as observed by ReadAll and Subscribe.
	Position uint64
}

// AppendResult describes a successful append.
type AppendResult struct {
	// NextExpected is the stream's last revision after the append.
	NextExpected uint64
	// LastPosition is the global position of the stream's last event.
	LastPosition uint64
	// Duplicate is true when every event ID was already stored in this stream
	// at the same revisions, so nothing was written (an idempotent retry).
	Duplicate bool
}

// Store is the port implemented by every backend (sqlite, postgres, kurrentdb).
// All methods are safe for concurrent use.
type Store interface {
	// Append atomically writes events to the end of stream if expected holds.
	// Either all events are written or none. When every event's ID is already
	// present in the stream at the revision given, Append succeeds, writes
	// nothing and reports Duplicate. A mismatch returns an error wrapping
	// ErrConcurrency. A returned nil error means the events are durable.
	//
	// Finer points every backend honours (checked by package storetest):
	//   - Each event's Revision must equal the revision the store assigns
	//     (stream's last revision + 1 + index in events), whatever expected
	//     says, else ErrConcurrency.
	//   - An ID stored at another stream or revision, or repeated within
	//     events, fails with ErrDuplicateID and nothing is written. A batch
	//     that only partly repeats a stored prefix of the stream fails with
	//     ErrConcurrency.
	//   - For a Duplicate, NextExpected and LastPosition describe the last
	//     event of the retried batch as it was first written, so a retrying
	//     writer carries on exactly as if its first attempt had answered.
	//   - An empty stream name or an empty events slice is an error.
	//   - If ctx ends while the append is in flight the outcome is unknown;
	//     retrying with the same IDs is safe.
	Append(ctx context.Context, stream string, expected ExpectedRevision, events []EventData) (AppendResult, error)

	// ReadStream returns up to limit events of stream starting at revision
	// from (inclusive) in order; limit <= 0 means all. A missing stream
	// returns an empty slice and ErrStreamNotFound.
	ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]RecordedEvent, error)

	// ReadStreamBackward returns up to limit events of stream from revision
	// from (inclusive) downwards; from = math.MaxUint64 starts at the end;
	// limit <= 0 means all. A missing stream returns an empty slice and
	// ErrStreamNotFound.
	ReadStreamBackward(ctx context.Context, stream string, from uint64, limit int) ([]RecordedEvent, error)

	// ReadAll returns up to limit events of the global log with Position > after,
	// in position order; limit <= 0 means all. It never returns a position
	// while a smaller one could still appear (no gaps are ever skipped).
	ReadAll(ctx context.Context, after uint64, limit int) ([]RecordedEvent, error)

	// Subscribe delivers every event with Position > after in order: first the
	// stored ones (catch-up), then new ones as they commit (live). The channel
	// is closed when ctx ends or on a fatal error, which Err then reports.
	Subscribe(ctx context.Context, after uint64) (Subscription, error)

	// Close releases the store's resources.
	Close() error
}

// Subscription is a running global-log subscription.
type Subscription interface {
	// Events yields events in position order. A consumer that stops reading
	// applies back-pressure; it never causes events to be dropped.
	Events() <-chan RecordedEvent
	// Err returns the reason the Events channel was closed, nil while it is
	// open, or the context's error after cancellation.
	Err() error
}

// ErrConcurrency is returned (wrapped) by Append when the expected revision
// does not match the stream.
var ErrConcurrency = errors.New("wrong expected revision")

// ErrStreamNotFound is returned (wrapped) by ReadStream for a stream that has no events.
var ErrStreamNotFound = errors.New("stream not found")

// ErrDuplicateID is returned (wrapped) by Append when an event ID is already
// stored at a different stream or revision: that is a client bug, not a retry.
var ErrDuplicateID = errors.New("event id already used elsewhere")

// ConcurrencyError carries the details of a rejected append.
type ConcurrencyError struct {
	Stream   string
	Expected ExpectedRevision
	Actual   uint64 // last revision, meaningful when Exists
	Exists   bool
}

func (e *ConcurrencyError) Error() string {
	actual := "no stream"
	if e.Exists {
		actual = fmt.Sprintf("revision %d", e.Actual)
	}
	return fmt.Sprintf("append to %s: expected %s, stream at %s: %v", e.Stream, e.Expected, actual, ErrConcurrency)
}

// Unwrap lets errors.Is(err, ErrConcurrency) match.
func (e *ConcurrencyError) Unwrap() error { return ErrConcurrency }
