package events

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// wireBody is the hashed part of the wire form, in canonical field order.
type wireBody struct {
	ID            string          `json:"id"`
	Stream        string          `json:"stream"`
	Revision      uint64          `json:"revision"`
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schema_version"`
	OccurredAt    time.Time       `json:"occurred_at"`
	Actor         Actor           `json:"actor"`
	CommandID     string          `json:"command_id"`
	CorrelationID string          `json:"correlation_id"`
	Payload       json.RawMessage `json:"payload"`
	PrevHash      string          `json:"prev_hash"`
}

// wireEnvelope is the full wire form: the body followed by its hash.
type wireEnvelope struct {
	wireBody
	Hash string `json:"hash"`
}

// Seal computes env's hash over its canonical encoding (which includes
// PrevHash, chaining it to its predecessor) and returns the sealed envelope
// with its wire bytes. OccurredAt is normalised to UTC.
func Seal(env Envelope) (Envelope, []byte, error) {
	env.OccurredAt = env.OccurredAt.UTC()
	body, err := encodeBody(env)
	if err != nil {
		return Envelope{}, nil, err
	}
	env.Hash = hashBody(body)
	return env, appendHash(body, env.Hash), nil
}

// Encode returns the canonical wire bytes of a sealed envelope. It refuses an
// envelope whose Hash does not match its content.
func Encode(env Envelope) ([]byte, error) {
	body, err := encodeBody(env)
	if err != nil {
		return nil, err
	}
	if want := hashBody(body); env.Hash != want {
		return nil, &ChainError{Stream: env.Stream, Revision: env.Revision, Reason: fmt.Sprintf("stored hash %q, content hashes to %q", env.Hash, want)}
	}
	return appendHash(body, env.Hash), nil
}

// Decode parses wire bytes strictly: the bytes must be exactly the canonical
// encoding of a known event type at a readable schema version, with no
// unknown fields and a hash that matches the content. It does not check the
// link to the previous event; see VerifyChain.
func Decode(data []byte) (Envelope, error) {
	var w wireEnvelope
	if err := strictUnmarshal(data, &w); err != nil {
		return Envelope{}, fmt.Errorf("decode envelope: %w: %v", ErrMalformed, err)
	}
	id, err := uuid.Parse(w.ID)
	if err != nil {
		return Envelope{}, fmt.Errorf("decode envelope: %w: id: %v", ErrMalformed, err)
	}
	if _, known := SchemaVersionOf(w.Type); !known {
		return Envelope{}, fmt.Errorf("decode %s: %w", w.Stream, &UnknownTypeError{Type: w.Type})
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
		CommandID: w.CommandID, CorrelationID: w.CorrelationID,
		PrevHash: w.PrevHash, Hash: w.Hash, Payload: payload,
	}
	canonical, err := Encode(env)
	if err != nil {
		return Envelope{}, fmt.Errorf("decode: %w", err)
	}
	if !bytes.Equal(canonical, data) {
		return Envelope{}, fmt.Errorf("decode %s revision %d: %w: bytes are not in canonical form", w.Stream, w.Revision, ErrMalformed)
	}
	return env, nil
}

// VerifyChain checks that envs are consecutive events of one stream, each
// linked to its predecessor's hash. The first event must have revision 0 and
// an empty PrevHash unless prev (the event before envs[0]) is given.
func VerifyChain(prev *Envelope, envs []Envelope) error {
	for i, env := range envs {
		wantRev, wantPrev, stream := uint64(0), "", env.Stream
		switch {
		case i > 0:
			wantRev, wantPrev, stream = envs[i-1].Revision+1, envs[i-1].Hash, envs[i-1].Stream
		case prev != nil:
			wantRev, wantPrev, stream = prev.Revision+1, prev.Hash, prev.Stream
		}
		if env.Stream != stream {
			return &ChainError{Stream: env.Stream, Revision: env.Revision, Reason: fmt.Sprintf("belongs to stream %s, expected %s", env.Stream, stream)}
		}
		if env.Revision != wantRev {
			return &ChainError{Stream: env.Stream, Revision: env.Revision, Reason: fmt.Sprintf("revision %d where %d was expected", env.Revision, wantRev)}
		}
		if env.PrevHash != wantPrev {
			return &ChainError{Stream: env.Stream, Revision: env.Revision, Reason: fmt.Sprintf("prev_hash %q does not match predecessor's hash %q", env.PrevHash, wantPrev)}
		}
		if _, err := Encode(env); err != nil {
			return err
		}
	}
	return nil
}

func encodeBody(env Envelope) ([]byte, error) {
	if env.Payload == nil {
		return nil, fmt.Errorf("encode %s revision %d: %w: no payload", env.Stream, env.Revision, ErrMalformed)
	}
	if env.Type != env.Payload.EventType() {
		return nil, fmt.Errorf("encode %s revision %d: %w: type %q but payload is %q", env.Stream, env.Revision, ErrMalformed, env.Type, env.Payload.EventType())
	}
	if env.SchemaVersion != CurrentSchemaVersion {
		return nil, fmt.Errorf("encode %s revision %d: %w", env.Stream, env.Revision, &VersionError{Type: env.Type, Version: env.SchemaVersion, Want: CurrentSchemaVersion})
	}
	payload, err := json.Marshal(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("encode %s revision %d payload: %w", env.Stream, env.Revision, err)
	}
	body, err := json.Marshal(wireBody{
		ID: env.ID.String(), Stream: env.Stream, Revision: env.Revision, Type: env.Type,
		SchemaVersion: env.SchemaVersion, OccurredAt: env.OccurredAt.UTC(), Actor: env.Actor,
		CommandID: env.CommandID, CorrelationID: env.CorrelationID,
		Payload: payload, PrevHash: env.PrevHash,
	})
	if err != nil {
		return nil, fmt.Errorf("encode %s revision %d: %w", env.Stream, env.Revision, err)
	}
	return body, nil
}

func hashBody(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// appendHash turns the body `{...}` into `{...,"hash":"<hex>"}`.
func appendHash(body []byte, hash string) []byte {
	out := make([]byte, 0, len(body)+len(hash)+10)
	out = append(out, body[:len(body)-1]...)
	out = append(out, `,"hash":"`...)
	out = append(out, hash...)
	return append(out, `"}`...)
}

// Link seals envs as the continuation of a stream whose last recorded event
// is last (nil for a new stream): it assigns consecutive revisions and chains
// each hash to its predecessor. It returns the sealed envelopes and their wire bytes.
func Link(last *Envelope, envs []Envelope) ([]Envelope, [][]byte, error) {
	rev, prevHash := uint64(0), ""
	if last != nil {
		rev, prevHash = last.Revision+1, last.Hash
	}
	sealed := make([]Envelope, len(envs))
	wire := make([][]byte, len(envs))
	for i, env := range envs {
		env.Revision, env.PrevHash = rev+uint64(i), prevHash
		s, data, err := Seal(env)
		if err != nil {
			return nil, nil, err
		}
		sealed[i], wire[i], prevHash = s, data, s.Hash
	}
	return sealed, wire, nil
}
