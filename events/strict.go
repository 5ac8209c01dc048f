package events

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// wireEnvelope is the wire form as encoding/json sees it, for the strict
// path. Member order does not matter here: canonical order is checked by
// comparing with the encoder's output.
type wireEnvelope struct {
	ID            string          `json:"id"`
	Stream        string          `json:"stream"`
	Revision      uint64          `json:"revision"`
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schema_version"`
	OccurredAt    time.Time       `json:"occurred_at"`
	Actor         Actor           `json:"actor"`
	CommandID     string          `json:"command_id"`
	Fingerprint   string          `json:"command_fingerprint,omitempty"`
	CorrelationID string          `json:"correlation_id"`
	Payload       json.RawMessage `json:"payload"`
	PrevHash      string          `json:"prev_hash"`
	Hash          string          `json:"hash"`
}

// decodeStrict is Decode's reference path, and the one that explains every
// refusal. In order, it refuses: bytes that are not one JSON object of the
// envelope's members (ErrMalformed, naming an unknown member), a bad id
// (ErrMalformed), an unknown type (*UnknownTypeError), an unreadable schema
// version (*VersionError), a payload that is not exactly its type's members
// (ErrMalformed), bytes that are not the canonical encoding of what they
// hold (ErrMalformed), and finally, for canonical bytes only, a hash that
// does not match (*ChainError, ErrHashMismatch). Checking the form before
// the hash keeps "not an event" apart from "an altered event".
func decodeStrict(data []byte) (Envelope, error) {
	var w wireEnvelope
	if err := strictUnmarshal(data, &w); err != nil {
		return Envelope{}, fmt.Errorf("decode envelope: %w: %v", ErrMalformed, err)
	}
	id, err := uuid.Parse(w.ID)
	if err != nil {
		return Envelope{}, fmt.Errorf("decode %s revision %d: %w: id: %v", w.Stream, w.Revision, ErrMalformed, err)
	}
	if _, known := SchemaVersionOf(w.Type); !known {
		return Envelope{}, fmt.Errorf("decode %s revision %d: %w", w.Stream, w.Revision, &UnknownTypeError{Type: w.Type})
	}
	raw, err := upcast(w.Type, w.SchemaVersion, w.Payload)
	if err != nil {
		return Envelope{}, fmt.Errorf("decode %s revision %d: %w", w.Stream, w.Revision, err)
	}
	payload, err := decodePayload(w.Type, raw)
	if err != nil {
		return Envelope{}, fmt.Errorf("decode %s revision %d payload: %w: %v", w.Stream, w.Revision, ErrMalformed, err)
	}
	env := Envelope{
		ID: id, Stream: w.Stream, Revision: w.Revision, Type: w.Type,
		SchemaVersion: w.SchemaVersion, OccurredAt: w.OccurredAt, Actor: w.Actor,
		CommandID: w.CommandID, CommandFingerprint: w.Fingerprint, CorrelationID: w.CorrelationID,
		PrevHash: w.PrevHash, Hash: w.Hash, Payload: payload,
	}
	body, err := encodeBody(env)
	if err != nil {
		return Envelope{}, fmt.Errorf("decode %s revision %d: %w: %w", w.Stream, w.Revision, ErrMalformed, err)
	}
	if !isCanonical(data, body, w.Hash) {
		return Envelope{}, fmt.Errorf("decode %s revision %d: %w: bytes are not in canonical form", w.Stream, w.Revision, ErrMalformed)
	}
	if want := hashBody(body); w.Hash != want {
		return Envelope{}, fmt.Errorf("decode: %w", &ChainError{Stream: w.Stream, Revision: w.Revision, Reason: fmt.Sprintf("stored hash %q, content hashes to %q", w.Hash, want)})
	}
	return env, nil
}
