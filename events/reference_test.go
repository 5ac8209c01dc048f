package events_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/events"
)

// referenceBody is the wire format written the obvious way: encoding/json
// over a struct whose fields are in wire order. It is independent of the
// codec's own encoder, so tests can hold the codec to it.
type referenceBody struct {
	ID            string         `json:"id"`
	Stream        string         `json:"stream"`
	Revision      uint64         `json:"revision"`
	Type          string         `json:"type"`
	SchemaVersion int            `json:"schema_version"`
	OccurredAt    time.Time      `json:"occurred_at"`
	Actor         events.Actor   `json:"actor"`
	CommandID     string         `json:"command_id"`
	Fingerprint   string         `json:"command_fingerprint,omitempty"`
	CorrelationID string         `json:"correlation_id"`
	Payload       events.Payload `json:"payload"`
	PrevHash      string         `json:"prev_hash"`
}

// referenceEncode returns the wire bytes of env by the reference encoding:
// the body, then "hash" holding the hex SHA-256 of the body.
func referenceEncode(t testing.TB, env events.Envelope) []byte {
	t.Helper()
	body, err := json.Marshal(referenceBody{
		ID: env.ID.String(), Stream: env.Stream, Revision: env.Revision, Type: env.Type,
		SchemaVersion: env.SchemaVersion, OccurredAt: env.OccurredAt.UTC(), Actor: env.Actor,
		CommandID: env.CommandID, Fingerprint: env.CommandFingerprint, CorrelationID: env.CorrelationID,
		Payload: env.Payload, PrevHash: env.PrevHash,
	})
	require.NoError(t, err)
	sum := sha256.Sum256(body)
	out := append(body[:len(body)-1:len(body)-1], `,"hash":"`...)
	out = append(out, hex.EncodeToString(sum[:])...)
	return append(out, `"}`...)
}
