package events

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Cause is what all the events of one decision share: when they occurred,
// who acted, and the command (and conversation) that caused them.
type Cause struct {
	OccurredAt time.Time
	Actor      Actor
	CommandID  string
	// CommandFingerprint identifies the request (see Envelope); may be empty.
	CommandFingerprint string
	CorrelationID      string
}

// Record wraps the payloads one command produced into envelopes of stream,
// each with an id from newID (given the revision it will have), and links
// them after last (nil for a new stream) with Link. It returns the sealed
// envelopes and their wire bytes.
func Record(last *Envelope, stream string, c Cause, payloads []Payload, newID func(rev uint64) (uuid.UUID, error)) ([]Envelope, [][]byte, error) {
	next := uint64(0)
	if last != nil {
		next = last.Revision + 1
	}
	envs := make([]Envelope, len(payloads))
	for i, p := range payloads {
		version, known := SchemaVersionOf(p.EventType())
		if !known {
			version = CurrentSchemaVersion // a type outside the catalogue, as before versions were per type
		}
		id, err := newID(next + uint64(i))
		if err != nil {
			return nil, nil, fmt.Errorf("new event id for %s: %w", stream, err)
		}
		envs[i] = Envelope{ID: id, Stream: stream, Type: p.EventType(), SchemaVersion: version,
			OccurredAt: c.OccurredAt, Actor: c.Actor, CommandID: c.CommandID, CommandFingerprint: c.CommandFingerprint,
			CorrelationID: c.CorrelationID, Payload: p}
	}
	return Link(last, envs)
}

// NewV7 is a newID for Record that draws a fresh UUID v7 per event.
func NewV7(uint64) (uuid.UUID, error) { return uuid.NewV7() }
