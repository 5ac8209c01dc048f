package projections

import (
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/events"
)

// A row keeps its ticket's events.ExpiryEffect so that the events an expiry
// caused are dated at its due time even when the append that recorded them
// is split between two pages and the row is read back in between (after a
// restart, or once the cache was emptied). It is stored as one text column:
// recording time, due time (both RFC 3339 with nanoseconds, because the
// recording time is compared exactly with the next event's) and command id.

// encodeEffect returns x as column text, or NULL when no expiry is in effect.
func encodeEffect(x events.ExpiryEffect) any {
	if x.CommandID == "" {
		return nil
	}
	return x.RecordedAt.UTC().Format(time.RFC3339Nano) + " " + x.DueAt.UTC().Format(time.RFC3339Nano) + " " + x.CommandID
}

// decodeEffect reads what encodeEffect wrote.
func decodeEffect(s sql.NullString) (events.ExpiryEffect, error) {
	if !s.Valid || s.String == "" {
		return events.ExpiryEffect{}, nil
	}
	parts := strings.SplitN(s.String, " ", 3)
	if len(parts) != 3 || parts[2] == "" {
		return events.ExpiryEffect{}, fmt.Errorf("expiry effect %q: want recorded time, due time and command id", s.String)
	}
	recorded, err := time.Parse(time.RFC3339Nano, parts[0])
	if err != nil {
		return events.ExpiryEffect{}, fmt.Errorf("expiry effect %q: %w", s.String, err)
	}
	due, err := time.Parse(time.RFC3339Nano, parts[1])
	if err != nil {
		return events.ExpiryEffect{}, fmt.Errorf("expiry effect %q: %w", s.String, err)
	}
	return events.ExpiryEffect{CommandID: parts[2], RecordedAt: recorded, DueAt: due}, nil
}
