package events

import (
	"time"

	"github.com/google/uuid"
)

// Envelope is one recorded event: identity, place, provenance and payload.
type Envelope struct {
	ID            uuid.UUID // UUID v7
	Stream        string    // "ticket-<ticket id>"
	Revision      uint64    // 0 for a stream's first event
	Type          string    // wire name, equal to Payload.EventType()
	SchemaVersion int
	OccurredAt    time.Time // UTC
	Actor         Actor
	CommandID     string // causation: the command that produced the event
	// CommandFingerprint identifies the request behind CommandID, so that a
	// key reused for another request can be told from a replay:
	// "<command name>:<hex SHA-256 of its canonical body>" (see
	// commands.Fingerprint). Empty on events recorded before it existed,
	// and then absent from the wire form.
	CommandFingerprint string
	CorrelationID      string // the conversation the command belongs to
	PrevHash           string // hex SHA-256 of the previous event in the stream, "" for the first
	Hash               string // hex SHA-256 over the canonical encoding of everything above and the payload
	Payload            Payload
}

// StreamPrefix begins every ticket stream name.
const StreamPrefix = "ticket-"

// StreamFor returns the stream name of a ticket.
func StreamFor(ticketID string) string { return StreamPrefix + ticketID }

// TicketOf returns the ticket id of a stream name, or "" if it is not a ticket stream.
func TicketOf(stream string) string {
	if len(stream) <= len(StreamPrefix) || stream[:len(StreamPrefix)] != StreamPrefix {
		return ""
	}
	return stream[len(StreamPrefix):]
}
