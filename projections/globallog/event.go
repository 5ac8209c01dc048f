package globallog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
)

// Topic is the only topic the subscriber serves: the whole global log.
const Topic = "ledger"

// Metadata keys set on every message.
const (
	MetaPosition     = "position"      // global position of the page's first event
	MetaLastPosition = "last_position" // global position of the page's last event
	MetaCount        = "count"         // number of events in the page
	MetaTail         = "tail"          // "true" when the page ended at the head of the log when read
	MetaStream       = "stream"        // one-event pages only
	MetaType         = "type"          // one-event pages only
	MetaRevision     = "revision"      // one-event pages only
)

// Event is one event of the global log as delivered: the stored record and
// its decoded envelope. Env is the zero value and Err says why when the
// record's bytes do not decode; a consumer decides what that means for it
// (a projection parks the event and stops).
type Event struct {
	Record eventstore.RecordedEvent
	Env    events.Envelope
	Err    error
}

// Page is the content of one message: consecutive events in position order.
type Page struct {
	Events []Event
	// Tail is true when the page ended at the head of the log when it was read.
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

// decode turns a record into an Event.
func decode(rec eventstore.RecordedEvent) Event {
	env, err := events.Decode(rec.Data)
	return Event{Record: rec, Env: env, Err: err}
}

type pageKey struct{}

// ErrMalformedMessage is returned by PageOf for a message that is not a page
// of the global log.
var ErrMalformedMessage = errors.New("not a global-log message")

// PageOf returns the page a message carries: the decoded page attached by an
// in-process subscriber, or else the page decoded from the message's payload
// and metadata.
func PageOf(msg *message.Message) (Page, error) {
	if p, ok := msg.Context().Value(pageKey{}).(Page); ok {
		return p, nil
	}
	return parsePage(msg)
}

func parsePage(msg *message.Message) (Page, error) {
	first, err := strconv.ParseUint(msg.Metadata.Get(MetaPosition), 10, 64)
	if err != nil || first == 0 {
		return Page{}, fmt.Errorf("message %s: %w: metadata %s=%q", msg.UUID, ErrMalformedMessage, MetaPosition, msg.Metadata.Get(MetaPosition))
	}
	count, err := strconv.Atoi(msg.Metadata.Get(MetaCount))
	if err != nil || count < 1 {
		return Page{}, fmt.Errorf("message %s: %w: metadata %s=%q", msg.UUID, ErrMalformedMessage, MetaCount, msg.Metadata.Get(MetaCount))
	}
	lines := [][]byte{msg.Payload}
	if count > 1 {
		lines = bytes.Split(msg.Payload, []byte{'\n'})
	}
	if len(lines) != count {
		return Page{}, fmt.Errorf("message %s: %w: %d lines for %d events", msg.UUID, ErrMalformedMessage, len(lines), count)
	}
	page := Page{Events: make([]Event, count), Tail: msg.Metadata.Get(MetaTail) == "true"}
	for i, line := range lines {
		rec := eventstore.RecordedEvent{Position: first + uint64(i), Data: line}
		ev := decode(rec)
		if ev.Err == nil {
			ev.Record.ID, ev.Record.Stream, ev.Record.Revision, ev.Record.Type = ev.Env.ID, ev.Env.Stream, ev.Env.Revision, ev.Env.Type
		} else if count == 1 {
			// The metadata still tells what the undecodable event was.
			ev.Record.Stream, ev.Record.Type = msg.Metadata.Get(MetaStream), msg.Metadata.Get(MetaType)
			ev.Record.Revision, _ = strconv.ParseUint(msg.Metadata.Get(MetaRevision), 10, 64)
			ev.Record.ID, _ = uuid.Parse(msg.UUID)
		}
		page.Events[i] = ev
	}
	return page, nil
}

// newMessage builds the message for a page, bound to ctx.
func newMessage(ctx context.Context, page Page, payload []byte) *message.Message {
	first := page.Events[0].Record
	msg := message.NewMessage(first.ID.String(), payload)
	msg.Metadata.Set(MetaPosition, strconv.FormatUint(first.Position, 10))
	msg.Metadata.Set(MetaLastPosition, strconv.FormatUint(page.Last(), 10))
	msg.Metadata.Set(MetaCount, strconv.Itoa(len(page.Events)))
	if page.Tail {
		msg.Metadata.Set(MetaTail, "true")
	}
	if len(page.Events) == 1 {
		msg.Metadata.Set(MetaStream, first.Stream)
		msg.Metadata.Set(MetaType, first.Type)
		msg.Metadata.Set(MetaRevision, strconv.FormatUint(first.Revision, 10))
	}
	msg.SetContext(context.WithValue(ctx, pageKey{}, page))
	return msg
}

// payloadOf joins the page's envelopes as JSON Lines.
func payloadOf(page Page) []byte {
	if len(page.Events) == 1 {
		return page.Events[0].Record.Data
	}
	n := len(page.Events) - 1
	for _, ev := range page.Events {
		n += len(ev.Record.Data)
	}
	out := make([]byte, 0, n)
	for i, ev := range page.Events {
		if i > 0 {
			out = append(out, '\n')
		}
		out = append(out, ev.Record.Data...)
	}
	return out
}

// framable reports whether an event's bytes can share a JSON Lines payload:
// canonical envelopes never hold a raw newline, but a corrupt record might,
// and then it must travel alone.
func framable(data []byte) bool { return bytes.IndexByte(data, '\n') < 0 }
