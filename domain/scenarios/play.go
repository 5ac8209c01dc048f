package scenarios

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// ErrBadScenario is returned (wrapped) by Play for a scenario that cannot be
// played as written: steps out of time order, or a first step that opens a
// ticket other than the scenario's.
var ErrBadScenario = errors.New("bad scenario")

// Play plays s purely through the aggregate: each step is decided at
// Start+At under pol, its events are wrapped in envelopes, chained with
// events.Link and folded with Apply. It returns the sealed stream.
//
// Envelope ids come from newID; with newID nil they are deterministic (see
// StableID), so that the same scenario always yields the same bytes, which
// is what golden files need. The command id of step i is "<name>-<i>" (three
// digits at least) and the correlation id is the ticket id.
//
// A refused step stops the play: the error wraps the domain's refusal and the
// stream recorded so far is returned with it.
func Play(s Scenario, pol policy.Policy, newID func() uuid.UUID) ([]events.Envelope, error) {
	stream := events.StreamFor(s.TicketID)
	var (
		t      domain.Ticket
		sealed []events.Envelope
	)
	for i, st := range s.Steps {
		if i > 0 && st.At < s.Steps[i-1].At {
			return sealed, fmt.Errorf("play %s step %d: %w: at %s, before step %d at %s", s.Name, i, ErrBadScenario, st.At, i-1, s.Steps[i-1].At)
		}
		if st.Command == nil {
			return sealed, fmt.Errorf("play %s step %d: %w: no command", s.Name, i, ErrBadScenario)
		}
		now := s.TimeOf(i)
		payloads, err := domain.Decide(t, st.Actor, st.Command, now, pol)
		if err != nil {
			return sealed, fmt.Errorf("play %s step %d (%s by %s): %w", s.Name, i, st.Command.CommandName(), st.Actor, err)
		}
		var last *events.Envelope
		if n := len(sealed); n > 0 {
			last = &sealed[n-1]
		}
		cause := events.Cause{OccurredAt: now, Actor: st.Actor, CommandID: fmt.Sprintf("%s-%03d", s.Name, i), CorrelationID: s.TicketID}
		linked, _, err := events.Record(last, stream, cause, payloads, func(rev uint64) (uuid.UUID, error) {
			if newID != nil {
				return newID(), nil
			}
			return StableID(s.TicketID, now, rev), nil
		})
		if err != nil {
			return sealed, fmt.Errorf("play %s step %d: seal events: %w", s.Name, i, err)
		}
		for _, env := range linked {
			t = t.Apply(env)
		}
		sealed = append(sealed, linked...)
		if i == 0 && t.ID != s.TicketID {
			return sealed, fmt.Errorf("play %s: %w: first step opens ticket %q, scenario is for %q", s.Name, ErrBadScenario, t.ID, s.TicketID)
		}
	}
	return sealed, nil
}

// StableID returns a deterministic UUID v7 for the event at revision rev of
// a ticket's stream, recorded at at. Its timestamp is at's millisecond, so
// ids sort by time like generated v7 ids; its other 74 bits are a hash of the
// ticket id followed by the revision, so ids differ between tickets and
// between the events of one command.
func StableID(ticketID string, at time.Time, rev uint64) uuid.UUID {
	var id uuid.UUID
	ms := uint64(at.UnixMilli())
	for i := range 6 {
		id[i] = byte(ms >> (8 * (5 - i)))
	}
	h := sha256.Sum256([]byte(ticketID))
	copy(id[6:], h[:6])
	// The revision takes the last four bytes, so a stream of up to 2^32
	// events never repeats an id within one millisecond.
	binary.BigEndian.PutUint32(id[12:], uint32(rev))
	id[6] = 0x70 | id[6]&0x0f // version 7
	id[8] = 0x80 | id[8]&0x3f // RFC 9562 variant
	return id
}
