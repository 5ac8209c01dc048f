package commands

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/disputes-ledger/disputes/events"
)

// clockSource says where a command's decision time comes from.
type clockSource uint8

const (
	// serverClock: the handler's clock, never earlier than the ticket's
	// last event.
	serverClock clockSource = iota
	// clientClock: Request.At (WithClientTime), refused when earlier than
	// the ticket's last event.
	clientClock
)

// decisionTime returns the time a command on a ticket whose stream is
// history is decided and recorded at. Time never goes backwards inside a
// ticket: replicas' clocks differ, and an event recorded before its
// predecessor could put, in an as-of replay, a ruling before the evidence
// it cites. So a server-clock command is decided at the later of the clock
// and the last event's OccurredAt, and a clock found behind is counted
// (ClockBehind) and logged. A client-supplied time (an import or a replay)
// states what happened when: one earlier than the last event is refused as
// invalid rather than silently moved.
func (h *Handler) decisionTime(req Request, clock clockSource, history []events.Envelope) (time.Time, error) {
	now := h.clock().UTC()
	if clock == clientClock {
		now = req.At.UTC()
	}
	if len(history) == 0 {
		return now, nil
	}
	last := history[len(history)-1].OccurredAt.UTC()
	if !now.Before(last) {
		return now, nil
	}
	if clock == clientClock {
		return time.Time{}, invalidField("at", fmt.Sprintf("%s is earlier than the ticket's last event, recorded at %s",
			now.Format(time.RFC3339Nano), last.Format(time.RFC3339Nano)))
	}
	h.clockBehind.Add(1)
	slog.Warn("clock behind the ticket's last event; deciding at the event's time",
		"ticket", req.TicketID, "skew", last.Sub(now).String())
	return last, nil
}

// ClockBehind returns how many commands this handler decided at their
// ticket's last event time because its own clock was earlier: a clock that
// is behind another replica's (or restarted), worth an alarm when it grows.
func (h *Handler) ClockBehind() uint64 { return h.clockBehind.Load() }
