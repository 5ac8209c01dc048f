package postgres

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/appendcheck"
)

// Append implements eventstore.Store. It queues the append for the
// group-commit writer and waits until the transaction holding it commits.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if s.cfg.ReadOnly {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, ErrReadOnly)
	}
	return s.queue.Append(ctx, stream, expected, events)
}

// rules reject, beyond the port's rules, text PostgreSQL cannot store (NUL
// bytes, invalid UTF-8) and revisions beyond bigint.
var rules = appendcheck.Rules{
	Stream: func(stream string) error { return checkText("stream name", stream) },
	Event: func(e eventstore.EventData) error {
		if err := checkText("type", e.Type); err != nil {
			return err
		}
		if e.Revision > maxRevision {
			return fmt.Errorf("revision %d beyond PostgreSQL's bigint", e.Revision)
		}
		return nil
	},
}

// maxRevision is the largest revision a bigint column holds.
const maxRevision = 1<<63 - 1

func checkText(what, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s %q is not valid UTF-8", what, s)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%s %q contains a NUL byte", what, s)
	}
	return nil
}
