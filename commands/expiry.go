package commands

import (
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/events"
)

// ExpiryCommandID is the deterministic command id of a deadline's expiry:
// any number of schedulers firing the same deadline record it once, because
// the handler is idempotent by command id.
func ExpiryCommandID(ticketID string, kind events.DeadlineKind, due time.Time) string {
	return fmt.Sprintf("expire:%s:%s:%d", ticketID, kind, due.Unix())
}
