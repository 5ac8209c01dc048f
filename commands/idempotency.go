package commands

import (
	"fmt"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// priorAnswer looks up the command id commandID among the commands actor
// recorded on a ticket. An idempotency record is keyed by (ticket,
// principal, command id): history is one ticket's stream, and an event
// matches only when it carries both the command id and the same actor (role
// and id), so another principal's id never matches and reveals nothing.
//
// On a match with the same fingerprint (see Fingerprint) it returns the
// first answer again: the events that command recorded (one append, so
// contiguous), the revision after them and the ticket as it stood then, with
// Duplicate set. On a match with another fingerprint it returns
// ErrIdempotencyKeyReused. Events recorded before fingerprints existed carry
// none; a match on them is taken as a replay, as it always was.
func priorAnswer(ticketID string, history []events.Envelope, actor events.Actor, commandID, fingerprint string) (Result, bool, error) {
	first := -1
	for i, env := range history {
		if env.CommandID == commandID && env.Actor == actor {
			first = i
			break
		}
	}
	if first < 0 {
		return Result{}, false, nil
	}
	if was := history[first].CommandFingerprint; was != "" && was != fingerprint {
		return Result{}, false, fmt.Errorf("command id %q on ticket %s was used for %s, now for %s: %w",
			commandID, ticketID, describe(was, fingerprint), fingerprintCommand(fingerprint), ErrIdempotencyKeyReused)
	}
	last := first
	for last+1 < len(history) && history[last+1].CommandID == commandID && history[last+1].Actor == actor {
		last++
	}
	var then domain.Ticket
	for _, env := range history[:last+1] {
		then = then.Apply(env)
	}
	return Result{TicketID: ticketID, Events: history[first : last+1], Revision: then.Revision, Duplicate: true, Ticket: then}, true, nil
}

// describe names the earlier request of a reused key as far as helps the
// client who sent both: the command, or "other data" for the same one.
func describe(was, now string) string {
	if fingerprintCommand(was) == fingerprintCommand(now) {
		return fingerprintCommand(was) + " with other data"
	}
	return fingerprintCommand(was)
}
