package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/disputes-ledger/disputes/eventstore"
)

// ErrOutcomeUnknown is returned (wrapped, with the store's error) by Handle
// when an append failed in a way that does not say whether it was
// committed: a dropped connection, a deadline during the commit, any store
// error other than a definite refusal. The command may or may not be on
// record. Sending the same request again with the same command id is safe
// and settles it: a recorded command answers as a duplicate with its first
// result, one not recorded is decided afresh.
var ErrOutcomeUnknown = errors.New("the store failed during the append; the command may or may not be recorded")

// ErrUnavailable is returned (wrapped, with the store's error) by Handle
// when the store failed before anything was sent to be written (reading the
// ticket failed): nothing was recorded, and the same request may succeed
// once the store is back.
var ErrUnavailable = errors.New("the event store is unavailable")

// appendFailure wraps the error of a failed append that was neither a
// concurrency conflict (retried by the caller) nor another definite refusal
// by the store: whatever else went wrong, the caller cannot know whether the
// events were committed.
func appendFailure(stream string, err error) error {
	if errors.Is(err, eventstore.ErrDuplicateID) || errors.Is(err, eventstore.ErrCorrupt) {
		// Definite refusals, and nothing was written: the server's bug.
		return fmt.Errorf("append %s: %w", stream, err)
	}
	return fmt.Errorf("append %s: %w: %w", stream, ErrOutcomeUnknown, err)
}

// readFailure wraps the error of a failed stream read. A corrupt stored
// event is the ledger's fault and stays an internal error; the request's
// own context ending is reported as such; anything else is the store being
// unavailable, and nothing was written.
func readFailure(ctx context.Context, stream string, err error) error {
	if errors.Is(err, eventstore.ErrCorrupt) || ctx.Err() != nil {
		return fmt.Errorf("load %s: %w", stream, err)
	}
	return fmt.Errorf("load %s: %w: %w", stream, ErrUnavailable, err)
}
