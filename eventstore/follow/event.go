package follow

import (
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
)

// Event is one event of the global log as delivered: the stored record and
// its decoded envelope. When the record's bytes do not decode, Env is the
// zero value and Err says why; the consumer decides what that means for it
// (a read model parks the event and stops). With Config.Raw, Env and Err are
// always zero.
//
// Record.Data is read-only: Env's strings may share its bytes (a page read
// from the stored log is decoded with events.DecodeOwned).
type Event struct {
	Record eventstore.RecordedEvent
	Env    events.Envelope
	Err    error
}

// Page is what one call of Config.Handle gets: consecutive events of the
// global log in position order, never empty.
type Page struct {
	Events []Event
	// Tail is true when the page ended at the head of the log as it was read:
	// nothing more was waiting.
	Tail bool
}

// First returns the position of the page's first event (0 for an empty page).
func (p Page) First() uint64 {
	if len(p.Events) == 0 {
		return 0
	}
	return p.Events[0].Record.Position
}

// Last returns the position of the page's last event (0 for an empty page).
func (p Page) Last() uint64 {
	if len(p.Events) == 0 {
		return 0
	}
	return p.Events[len(p.Events)-1].Record.Position
}

// pageOf wraps records as a page, decoding each with decode unless raw.
func pageOf(recs []eventstore.RecordedEvent, raw, tail bool, decode func([]byte) (events.Envelope, error)) Page {
	evs := make([]Event, len(recs))
	for i, rec := range recs {
		evs[i].Record = rec
		if !raw {
			evs[i].Env, evs[i].Err = decode(rec.Data)
		}
	}
	return Page{Events: evs, Tail: tail}
}
