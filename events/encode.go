package events

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/google/uuid"
)

// The wire form of an envelope is one JSON object whose members come in
// this order:
//
//	id, stream, revision, type, schema_version, occurred_at, actor{role,id},
//	command_id, [command_fingerprint,] correlation_id, payload, prev_hash, hash
//
// exactly as encoding/json writes a struct with those fields (compact,
// HTML-safe escaping, occurred_at in UTC). command_fingerprint is omitted
// when empty (omitempty): events recorded before it existed keep their
// exact bytes and hashes. The body is everything but the
// hash member; the hash is the hex SHA-256 of the body.

// hashSuffixLen is the length of `,"hash":"<64 hex digits>"}`.
const hashSuffixLen = len(`,"hash":""}`) + 2*sha256.Size

// encodeBody returns the canonical body of env: the wire form up to and
// including prev_hash, closed with '}'. The returned slice has room to
// append the hash member without reallocating.
// isV7 reports whether id is an RFC 9562 version 7 UUID, as every event id is.
func isV7(id uuid.UUID) bool { return id.Version() == 7 && id.Variant() == uuid.RFC4122 }

func encodeBody(env Envelope) ([]byte, error) {
	if env.Payload == nil {
		return nil, fmt.Errorf("encode %s revision %d: %w: no payload", env.Stream, env.Revision, ErrMalformed)
	}
	if !isV7(env.ID) {
		return nil, fmt.Errorf("encode %s revision %d: %w: event id %s is not a UUID v7", env.Stream, env.Revision, ErrMalformed, env.ID)
	}
	if env.Type != env.Payload.EventType() {
		return nil, fmt.Errorf("encode %s revision %d: %w: type %q but payload is %q", env.Stream, env.Revision, ErrMalformed, env.Type, env.Payload.EventType())
	}
	if want, ok := schemaVersionFor(env.Type, env.SchemaVersion, env.Payload); !ok {
		return nil, fmt.Errorf("encode %s revision %d: %w", env.Stream, env.Revision, &VersionError{Type: env.Type, Version: env.SchemaVersion, Want: want})
	}
	payload, err := json.Marshal(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("encode %s revision %d payload: %w", env.Stream, env.Revision, err)
	}
	// encoding/json replaces invalid UTF-8 by U+FFFD: the bytes would not
	// decode back to the text that was sealed, so refuse instead.
	if hasReplacementEscape(payload) {
		return nil, fmt.Errorf("encode %s revision %d payload: %w: text is not valid UTF-8", env.Stream, env.Revision, ErrMalformed)
	}
	strs := []string{env.Stream, env.Type, string(env.Actor.Role), env.Actor.ID, env.CommandID, env.CommandFingerprint, env.CorrelationID, env.PrevHash}
	size := 256 + len(payload) + hashSuffixLen
	for _, s := range strs {
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("encode %s revision %d: %w: text is not valid UTF-8", env.Stream, env.Revision, ErrMalformed)
		}
		size += 2 * len(s)
	}

	b := make([]byte, 0, size)
	b = append(b, `{"id":"`...)
	b = appendUUID(b, env.ID)
	b = append(b, `","stream":`...)
	b = appendString(b, env.Stream)
	b = append(b, `,"revision":`...)
	b = strconv.AppendUint(b, env.Revision, 10)
	b = append(b, `,"type":`...)
	b = appendString(b, env.Type)
	b = append(b, `,"schema_version":`...)
	b = strconv.AppendInt(b, int64(env.SchemaVersion), 10)
	b = append(b, `,"occurred_at":"`...)
	withTime, err := env.OccurredAt.UTC().AppendText(b)
	if err != nil {
		return nil, fmt.Errorf("encode %s revision %d occurred_at: %w", env.Stream, env.Revision, err)
	}
	b = append(withTime, `","actor":{"role":`...)
	b = appendString(b, string(env.Actor.Role))
	b = append(b, `,"id":`...)
	b = appendString(b, env.Actor.ID)
	b = append(b, `},"command_id":`...)
	b = appendString(b, env.CommandID)
	if env.CommandFingerprint != "" {
		b = append(b, `,"command_fingerprint":`...)
		b = appendString(b, env.CommandFingerprint)
	}
	b = append(b, `,"correlation_id":`...)
	b = appendString(b, env.CorrelationID)
	b = append(b, `,"payload":`...)
	b = append(b, payload...)
	b = append(b, `,"prev_hash":`...)
	b = appendString(b, env.PrevHash)
	return append(b, '}'), nil
}

func hashBody(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// appendHash turns the body `{...}` into `{...,"hash":"<hex>"}`, in place
// when body has the capacity (encodeBody leaves it): body is consumed.
func appendHash(body []byte, hash string) []byte {
	out := append(body[:len(body)-1], `,"hash":"`...)
	out = append(out, hash...)
	return append(out, `"}`...)
}

// isCanonical reports whether data is exactly body with the hash member
// holding hash, that is appendHash(body, hash), without building it.
func isCanonical(data, body []byte, hash string) bool {
	n := len(body) - 1
	rest := data[min(n, len(data)):]
	return len(data) == n+len(`,"hash":""}`)+len(hash) &&
		string(data[:n]) == string(body[:n]) &&
		string(rest[:9]) == `,"hash":"` && string(rest[9:len(rest)-2]) == hash && string(rest[len(rest)-2:]) == `"}`
}

func appendUUID(b []byte, id [16]byte) []byte {
	b = hex.AppendEncode(b, id[0:4])
	b = append(b, '-')
	b = hex.AppendEncode(b, id[4:6])
	b = append(b, '-')
	b = hex.AppendEncode(b, id[6:8])
	b = append(b, '-')
	b = hex.AppendEncode(b, id[8:10])
	b = append(b, '-')
	return hex.AppendEncode(b, id[10:16])
}

// appendString appends s as encoding/json writes a valid UTF-8 string with
// HTML escaping on (json.Marshal's default). Callers check validity first.
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if htmlSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default: // other control characters, <, > and &
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			start = i + n
		}
		i += n
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// hasReplacementEscape reports whether JSON text holds the escape \ufffd,
// which encoding/json writes only in place of invalid UTF-8 (a genuine
// U+FFFD is written as is). Escapes are skipped whole, so an escaped
// backslash followed by "ufffd" is not mistaken for one.
func hasReplacementEscape(text []byte) bool {
	for i := 0; i < len(text); i++ {
		if text[i] != '\\' {
			continue
		}
		if i+5 < len(text) && string(text[i+1:i+6]) == "ufffd" {
			return true
		}
		i++ // skip the escaped character (for \u, its hex digits are plain)
	}
	return false
}
