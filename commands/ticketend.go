package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
)

// tailPage is how many events of the global log LoadWholeTicket reads at a
// time after a ticket's last event.
const tailPage = 1024

// LoadWholeTicket is LoadTicket for a reader that shows a ticket as its
// whole history (the CLI's show and history): it also proves that the
// stream read has lost no event at its end. A stream read cannot see an
// event whose stream column was moved away from the end of its ticket:
// nothing left in the ticket says it existed, and its chain still links.
// The global log still holds it, and the store refuses it there (its
// columns contradict its bytes), so LoadWholeTicket reads the log after the
// ticket's last event and fails, wrapping eventstore.ErrCorrupt, if any
// event there is refused. It reads the log's tail, so it costs a read of
// every event recorded since the ticket last changed; the command path and
// the API's ticket read, which must not, use LoadTicket.
func LoadWholeTicket(ctx context.Context, store eventstore.Store, ticketID string) (domain.Ticket, []events.Envelope, error) {
	t, envs, last, err := loadTicket(ctx, store, ticketID)
	if err != nil || len(envs) == 0 {
		return t, envs, err
	}
	if err := checkStreamEnd(ctx, store, events.StreamFor(ticketID), last); err != nil {
		return domain.Ticket{}, nil, err
	}
	return t, envs, nil
}

// checkStreamEnd reads the global log after position last, the last event
// of stream, and returns an error if the store refuses any event there.
func checkStreamEnd(ctx context.Context, store eventstore.Store, stream string, last uint64) error {
	for after := last; ; {
		recs, err := store.ReadAll(ctx, after, tailPage)
		if err != nil && !errors.Is(err, eventstore.ErrCorrupt) {
			return readFailure(ctx, stream, err)
		}
		if err != nil {
			return fmt.Errorf("load %s: the global log after its last event (position %d) holds an event the store refuses, "+
				"which may be one of this ticket's moved away from its end (run verify): %w", stream, last, err)
		}
		if len(recs) == 0 {
			return nil
		}
		after = recs[len(recs)-1].Position
	}
}
