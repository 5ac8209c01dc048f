package commands

import (
	"fmt"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/events"
)

// SystemCommandIDPrefix begins every command id in the system namespace:
// the ids of deadline expiries. Only the system actor may use it.
const SystemCommandIDPrefix = "expire:"

// ExpiryCommandID is the deterministic command id of a deadline's expiry:
// any number of schedulers firing the same deadline record it once, because
// the handler is idempotent by (ticket, principal, command id).
func ExpiryCommandID(ticketID string, kind events.DeadlineKind, due time.Time) string {
	return fmt.Sprintf("%s%s:%s:%d", SystemCommandIDPrefix, ticketID, kind, due.Unix())
}

// checkSystemNamespace refuses a command id or a correlation id in the
// system namespace from any actor but the system. Expiry ids are
// predictable; were a client allowed to send one, it might hope to make the
// real expiry look already handled, or to file its own command under an
// expiry's conversation in the audit trail. Ids are also scoped by
// principal (see priorAnswer), so a command id could not collide anyway:
// this refusal makes the attempt a clear 400 instead of a silent no-op.
func checkSystemNamespace(req Request) error {
	if req.Actor.Role == events.RoleSystem {
		return nil
	}
	for _, id := range []struct{ field, value string }{{"command_id", req.CommandID}, {"correlation_id", req.CorrelationID}} {
		if strings.HasPrefix(id.value, SystemCommandIDPrefix) {
			return invalidField(id.field, fmt.Sprintf("ids beginning %q are reserved for the system's deadline expiries", SystemCommandIDPrefix))
		}
	}
	return nil
}
