package events_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/events"
)

// errClass is the kind of refusal a Decode table case expects. Each class is
// exclusive: a malformed event must not also claim a hash mismatch, so a
// caller can tell "not an event" from "an altered event".
type errClass int

const (
	classMalformed   errClass = iota + 1 // ErrMalformed: not the canonical encoding of an envelope
	classHash                            // *ChainError / ErrHashMismatch: canonical, but the content does not match its hash
	classUnknownType                     // *UnknownTypeError
	classVersion                         // *VersionError
)

// assertClass checks err against exactly one error class.
func assertClass(t *testing.T, want errClass, err error) {
	t.Helper()
	require.Error(t, err)
	var unknown *events.UnknownTypeError
	var version *events.VersionError
	var chain *events.ChainError
	got := map[errClass]bool{
		classMalformed:   errors.Is(err, events.ErrMalformed),
		classHash:        errors.Is(err, events.ErrHashMismatch),
		classUnknownType: errors.As(err, &unknown),
		classVersion:     errors.As(err, &version),
	}
	for class, is := range got {
		assert.Equal(t, class == want, is, "error class %d for error %q", class, err)
	}
	if want == classHash {
		assert.True(t, errors.As(err, &chain), "hash mismatch reported as *ChainError: %v", err)
	}
}

// mutate replaces the only occurrence of old in data by new.
func mutate(t *testing.T, data []byte, old, new string) []byte {
	t.Helper()
	require.Equal(t, 1, bytes.Count(data, []byte(old)), "%q must occur exactly once", old)
	return bytes.Replace(data, []byte(old), []byte(new), 1)
}

func TestDecodeStrictness(t *testing.T) {
	t.Parallel()
	offer, offerWire := sampleEnvelope(t, events.TypeOfferMade)
	_, refundWire := sampleEnvelope(t, events.TypeRefundRequested)
	_, abandonedWire := sampleEnvelope(t, events.TypeTicketAbandoned)
	hash := offer.Hash

	tests := []struct {
		name string
		data []byte
		want errClass
		// check inspects the typed error further.
		check func(t *testing.T, err error)
	}{
		{name: "unknown type", data: mutate(t, offerWire, `"type":"offer.made"`, `"type":"offer.retracted"`), want: classUnknownType,
			check: func(t *testing.T, err error) {
				var e *events.UnknownTypeError
				require.ErrorAs(t, err, &e)
				assert.Equal(t, "offer.retracted", e.Type)
			}},
		{name: "empty type", data: mutate(t, offerWire, `"type":"offer.made"`, `"type":""`), want: classUnknownType},
		{name: "unknown envelope field first", data: mutate(t, offerWire, `{"id":`, `{"colour":"red","id":`), want: classMalformed},
		{name: "unknown envelope field before hash", data: mutate(t, offerWire, `,"hash":`, `,"extra":null,"hash":`), want: classMalformed},
		{name: "unknown payload field", data: mutate(t, offerWire, `"payload":{`, `"payload":{"discount":5,`), want: classMalformed},
		{name: "unknown field in nested payload object", data: mutate(t, offerWire, `{"kind":"buyer_escalation",`, `{"kind":"buyer_escalation","grace":true,`), want: classMalformed},
		{name: "schema version from the future", data: mutate(t, offerWire, `"schema_version":1`, `"schema_version":2`), want: classVersion,
			check: func(t *testing.T, err error) {
				var e *events.VersionError
				require.ErrorAs(t, err, &e)
				assert.Equal(t, events.VersionError{Type: events.TypeOfferMade, Version: 2, Want: events.CurrentSchemaVersion}, *e)
			}},
		{name: "schema version zero", data: mutate(t, offerWire, `"schema_version":1`, `"schema_version":0`), want: classVersion},
		{name: "schema version missing", data: mutate(t, offerWire, `"schema_version":1,`, ``), want: classVersion},
		{name: "changed payload amount", data: mutate(t, offerWire, `"amount":30000`, `"amount":30001`), want: classHash,
			check: func(t *testing.T, err error) {
				var e *events.ChainError
				require.ErrorAs(t, err, &e)
				assert.Equal(t, offer.Stream, e.Stream)
				assert.Equal(t, offer.Revision, e.Revision)
			}},
		{name: "changed payload text byte", data: mutate(t, offerWire, `keep the item`, `keep the itex`), want: classHash},
		{name: "changed actor", data: mutate(t, offerWire, `"id":"merchant-0042"`, `"id":"merchant-0043"`), want: classHash},
		{name: "changed revision", data: mutate(t, offerWire, `"revision":7`, `"revision":8`), want: classHash,
			check: func(t *testing.T, err error) {
				var e *events.ChainError
				require.ErrorAs(t, err, &e)
				assert.Equal(t, uint64(8), e.Revision, "the error names the revision as read")
			}},
		{name: "changed prev_hash", data: mutate(t, offerWire, `"prev_hash":"`, `"prev_hash":"0`), want: classHash},
		{name: "altered hash", data: mutate(t, offerWire, hash, hash[:63]+flipHex(hash[63])), want: classHash},
		{name: "upper-case hash", data: mutate(t, offerWire, hash, strings.ToUpper(hash)), want: classHash},
		{name: "short hash", data: mutate(t, offerWire, hash, hash[:62]), want: classHash},
		{name: "empty hash", data: mutate(t, offerWire, hash, ""), want: classHash},
		{name: "missing hash", data: mutate(t, offerWire, `,"hash":"`+hash+`"`, ``), want: classMalformed},
		{name: "type of another payload shape", data: mutate(t, offerWire, `"type":"offer.made"`, `"type":"offer.accepted"`), want: classMalformed},
		{name: "type of the same payload shape", data: mutate(t, abandonedWire, `"type":"ticket.abandoned"`, `"type":"ticket.expired"`), want: classHash},
		{name: "space after colon", data: mutate(t, offerWire, `"revision":7`, `"revision": 7`), want: classMalformed},
		{name: "trailing newline", data: append(bytes.Clone(offerWire), '\n'), want: classMalformed},
		{name: "leading space", data: append([]byte(" "), offerWire...), want: classMalformed},
		{name: "indented", data: indent(t, offerWire), want: classMalformed},
		{name: "members reordered", data: mutate(t, offerWire, `"revision":7,"type":"offer.made"`, `"type":"offer.made","revision":7`), want: classMalformed},
		{name: "duplicate member", data: mutate(t, offerWire, `"revision":7`, `"revision":7,"revision":7`), want: classMalformed},
		{name: "member name in other case", data: mutate(t, offerWire, `"revision":7`, `"Revision":7`), want: classMalformed},
		{name: "needless escape", data: mutate(t, offerWire, `"type":"offer.made"`, `"type":"offer\u002emade"`), want: classMalformed},
		{name: "HTML character not escaped", data: mutate(t, refundWire, `\u003ccolor\u003e`, `<color>`), want: classMalformed},
		{name: "invalid UTF-8", data: mutate(t, offerWire, `keep the item`, "keep the \xff"), want: classMalformed},
		{name: "time with numeric UTC offset", data: mutate(t, offerWire, `589793238Z"`, `589793238+00:00"`), want: classMalformed},
		{name: "time in another zone", data: mutate(t, offerWire, `"2026-03-14T09:26:53.589793238Z"`, `"2026-03-14T17:26:53.589793238+08:00"`), want: classMalformed},
		{name: "time with trailing zero", data: mutate(t, offerWire, `589793238Z"`, `5897932380Z"`), want: classMalformed},
		{name: "time not a time", data: mutate(t, offerWire, `"2026-03-14T09:26:53.589793238Z"`, `"yesterday"`), want: classMalformed},
		{name: "revision as float", data: mutate(t, offerWire, `"revision":7`, `"revision":7.0`), want: classMalformed},
		{name: "revision as string", data: mutate(t, offerWire, `"revision":7`, `"revision":"7"`), want: classMalformed},
		{name: "revision negative", data: mutate(t, offerWire, `"revision":7`, `"revision":-7`), want: classMalformed},
		{name: "revision leading zero", data: mutate(t, offerWire, `"revision":7`, `"revision":07`), want: classMalformed},
		{name: "revision overflows", data: mutate(t, offerWire, `"revision":7`, `"revision":18446744073709551616`), want: classMalformed},
		{name: "trailing object", data: append(bytes.Clone(offerWire), `{}`...), want: classMalformed},
		{name: "event twice", data: append(bytes.Clone(offerWire), offerWire...), want: classMalformed},
		{name: "truncated", data: offerWire[:len(offerWire)-1], want: classMalformed},
		{name: "empty input", data: []byte{}, want: classMalformed},
		{name: "nil input", data: nil, want: classMalformed},
		{name: "empty object", data: []byte(`{}`), want: classMalformed},
		{name: "null", data: []byte(`null`), want: classMalformed},
		{name: "array", data: []byte(`[]`), want: classMalformed},
		{name: "event in an array", data: append(append([]byte(`[`), offerWire...), ']'), want: classMalformed},
		{name: "string", data: []byte(`"offer.made"`), want: classMalformed},
		{name: "number", data: []byte(`42`), want: classMalformed},
		{name: "bad uuid", data: mutate(t, offerWire, `"id":"`+offer.ID.String()+`"`, `"id":"not-a-uuid"`), want: classMalformed},
		{name: "uuid v4, not v7", data: mutate(t, offerWire, `"id":"`+offer.ID.String()+`"`, `"id":"6f1c2b9e-4d3a-4b8e-9c1f-2a7d5e8b0c43"`), want: classMalformed},
		{name: "empty uuid", data: mutate(t, offerWire, `"id":"`+offer.ID.String()+`"`, `"id":""`), want: classMalformed},
		{name: "upper-case uuid", data: mutate(t, offerWire, offer.ID.String(), strings.ToUpper(offer.ID.String())), want: classMalformed},
		{name: "urn uuid", data: mutate(t, offerWire, `"id":"`+offer.ID.String(), `"id":"urn:uuid:`+offer.ID.String()), want: classMalformed},
		{name: "uuid without dashes", data: mutate(t, offerWire, offer.ID.String(), strings.ReplaceAll(offer.ID.String(), "-", "")), want: classMalformed},
		{name: "id as number", data: mutate(t, offerWire, `"id":"`+offer.ID.String()+`"`, `"id":1`), want: classMalformed},
		{name: "null payload", data: replacePayload(t, offerWire, `null`), want: classMalformed},
		{name: "null payload of an empty payload type", data: replacePayload(t, abandonedWire, `null`), want: classMalformed},
		{name: "missing payload", data: mutate(t, offerWire, `"payload":`+payloadOf(t, offerWire)+`,`, ``), want: classMalformed},
		{name: "payload array", data: replacePayload(t, offerWire, `[]`), want: classMalformed},
		{name: "payload string", data: replacePayload(t, offerWire, `"offer"`), want: classMalformed},
		{name: "payload field missing", data: mutate(t, offerWire, `"note":"keep the item, 30 元 back",`, ``), want: classMalformed},
		{name: "payload field null", data: mutate(t, offerWire, `"note":"keep the item, 30 元 back"`, `"note":null`), want: classMalformed},
		{name: "deadlines null", data: mutate(t, offerWire, `"deadlines":[`, `"deadlines":null,"x":[`), want: classMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, err := events.Decode(tt.data)
			assertClass(t, tt.want, err)
			assert.Zero(t, env, "no envelope on error")
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

func flipHex(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

func indent(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, json.Indent(&buf, data, "", "  "))
	return buf.Bytes()
}

// payloadOf returns the payload member's value as it appears in data.
func payloadOf(t *testing.T, data []byte) string {
	t.Helper()
	var outer struct {
		Payload json.RawMessage `json:"payload"`
	}
	require.NoError(t, json.Unmarshal(data, &outer))
	return string(outer.Payload)
}

func replacePayload(t *testing.T, data []byte, payload string) []byte {
	t.Helper()
	return mutate(t, data, `"payload":`+payloadOf(t, data), `"payload":`+payload)
}

// TestDecodeErrorsNameTheEvent checks the context a refusal carries, so an
// operator scanning the log can find the bad event.
func TestDecodeErrorsNameTheEvent(t *testing.T) {
	t.Parallel()
	env, wire := sampleEnvelope(t, events.TypeOfferMade)
	_, err := events.Decode(mutate(t, wire, `"payload":{`, `"payload":{"discount":5,`))
	require.ErrorIs(t, err, events.ErrMalformed)
	assert.Contains(t, err.Error(), env.Stream)
	assert.Contains(t, err.Error(), `"discount"`, "the unknown field is named")

	_, err = events.Decode(mutate(t, wire, `"schema_version":1`, `"schema_version":9`))
	var verr *events.VersionError
	require.ErrorAs(t, err, &verr)
	assert.Contains(t, err.Error(), env.Stream)
}
