package eventstore

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/google/uuid"
)

// A stored event is its data plus the columns a backend indexes it by: id,
// stream, revision and type. The application reads the columns (a stream
// read selects by stream and revision; projections dispatch on type), but
// only the data is hashed and sealed. So that an edit of a column cannot
// change what the application sees while the signed bytes still verify,
// every backend checks the columns against the data on every read, and
// refuses to append an event whose data says otherwise.
//
// The data of a ledger event is a canonical envelope (package events) and
// begins with the members
//
//	{"id":"<uuid>","stream":<string>,"revision":<n>,"type":<string>,
//
// in that order. Data that does not begin with `{"id":"` carries no header
// and is stored opaquely (the layers above refuse it as an envelope); data
// that does must carry the whole header, equal to the columns.

// headerStart opens every envelope header.
const headerStart = `{"id":"`

// ErrCorrupt is returned (wrapped, as a *CorruptError) by ReadStream,
// ReadStreamBackward, ReadAll and Subscribe for a stored event whose columns
// disagree with its data, and by Append for an event whose data disagrees
// with its ID, Type or Revision or with the stream it is appended to. It
// means the store was altered behind the application's back: nothing read
// past it can be trusted.
var ErrCorrupt = errors.New("stored event is corrupt")

// CorruptError locates a stored event whose columns disagree with its data.
type CorruptError struct {
	// Position, Stream and Revision are what the columns say (Position 0
	// for an append).
	Position uint64
	Stream   string
	Revision uint64
	// Column names the disagreeing column: "id", "stream", "revision",
	// "type", "position" (outside the global log), or "header" when the
	// data's header is not readable.
	Column string
	// Reason says what disagrees, with both values.
	Reason string
}

func (e *CorruptError) Error() string {
	where := fmt.Sprintf("%s revision %d", e.Stream, e.Revision)
	if e.Position > 0 {
		where = fmt.Sprintf("position %d (%s)", e.Position, where)
	}
	return fmt.Sprintf("event at %s: %s: %v", where, e.Reason, ErrCorrupt)
}

// Unwrap lets errors.Is(err, ErrCorrupt) match.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// CheckColumns returns a *CorruptError if e's ID, Stream, Revision or Type
// disagree with the envelope header e.Data begins with, and nil if they
// agree or the data carries no header. It reads only the header: a few
// byte comparisons, no allocation for ordinary names.
func CheckColumns(e *RecordedEvent) error {
	column, reason := mismatch(e.ID, e.Stream, e.Revision, e.Type, e.Data)
	if column == "" {
		return nil
	}
	return &CorruptError{Position: e.Position, Stream: e.Stream, Revision: e.Revision, Column: column, Reason: reason}
}

// CheckPosition returns a *CorruptError for a stored event whose position
// column is not a position of the global log (1, 2, 3…). A row at position 0
// or below is outside the log: no scan of the log reaches it, so no seal
// covers it and verify never sees it, yet a read of its stream would show
// it as part of the ticket.
func CheckPosition(stream string, revision uint64, position int64) error {
	if position > 0 {
		return nil
	}
	return &CorruptError{Stream: stream, Revision: revision, Column: "position",
		Reason: fmt.Sprintf("stored at position %d, outside the global log (positions start at 1)", position)}
}

// CheckEventData is CheckColumns for an event about to be appended to
// stream.
func CheckEventData(stream string, e EventData) error {
	column, reason := mismatch(e.ID, stream, e.Revision, e.Type, e.Data)
	if column == "" {
		return nil
	}
	return &CorruptError{Stream: stream, Revision: e.Revision, Column: column, Reason: reason}
}

// mismatch returns the first column that disagrees with data's header and
// why, or "" when all agree or data has no header.
func mismatch(id uuid.UUID, stream string, revision uint64, typ string, data []byte) (column, reason string) {
	if len(data) < len(headerStart) || string(data[:len(headerStart)]) != headerStart {
		return "", ""
	}
	h := headerReader{data: data, i: len(headerStart)}
	if !h.skipIDText() {
		return "header", "data begins an envelope but its id is not a UUID"
	}
	if text := data[len(headerStart):h.i]; !idTextIs(text, id) {
		return "id", fmt.Sprintf("id column %s, data says %s", id, text)
	}
	signedStream, ok := h.member(`","stream":`)
	if !ok {
		return "header", "data begins an envelope but has no readable stream member after the id"
	}
	if !signedStream.equals(stream) {
		return "stream", fmt.Sprintf("stream column %q, data says %s", stream, signedStream.raw)
	}
	signedRev, ok := h.revision()
	if !ok {
		return "header", "data begins an envelope but has no readable revision member after the stream"
	}
	if signedRev != revision {
		return "revision", fmt.Sprintf("revision column %d, data says %d", revision, signedRev)
	}
	signedType, ok := h.member(`,"type":`)
	if !ok || h.i >= len(data) || (data[h.i] != ',' && data[h.i] != '}') {
		return "header", "data begins an envelope but has no readable type member after the revision"
	}
	if !signedType.equals(typ) {
		return "type", fmt.Sprintf("type column %q, data says %s", typ, signedType.raw)
	}
	return "", ""
}

// headerReader walks an envelope header from its start.
type headerReader struct {
	data []byte
	i    int
}

// skipIDText moves past the 36 characters of a UUID's text.
func (h *headerReader) skipIDText() bool {
	const idLen = 36
	if len(h.data)-h.i < idLen {
		return false
	}
	h.i += idLen
	return true
}

// idTextIs reports whether text is id in the canonical lowercase form.
func idTextIs(text []byte, id uuid.UUID) bool {
	var want [36]byte // lowercase 8-4-4-4-12, as the envelope encodes it
	hex.Encode(want[0:8], id[0:4])
	want[8] = '-'
	hex.Encode(want[9:13], id[4:6])
	want[13] = '-'
	hex.Encode(want[14:18], id[6:8])
	want[18] = '-'
	hex.Encode(want[19:23], id[8:10])
	want[23] = '-'
	hex.Encode(want[24:], id[10:16])
	return string(text) == string(want[:])
}

// jsonString is a JSON string as it appears in the data.
type jsonString struct {
	raw     []byte // with its quotes
	escaped bool
}

// equals reports whether the string's value is s.
func (j jsonString) equals(s string) bool {
	if !j.escaped {
		return string(j.raw[1:len(j.raw)-1]) == s
	}
	var v string
	if err := json.Unmarshal(j.raw, &v); err != nil {
		return false
	}
	return v == s
}

// member reads `prefix"…"`: a literal followed by a JSON string.
func (h *headerReader) member(prefix string) (jsonString, bool) {
	if len(h.data)-h.i < len(prefix)+2 || string(h.data[h.i:h.i+len(prefix)]) != prefix {
		return jsonString{}, false
	}
	start := h.i + len(prefix)
	if h.data[start] != '"' {
		return jsonString{}, false
	}
	escaped := false
	for j := start + 1; j < len(h.data); j++ {
		switch h.data[j] {
		case '\\':
			escaped = true
			j++ // the escaped character cannot end the string
		case '"':
			h.i = j + 1
			return jsonString{raw: h.data[start:h.i], escaped: escaped}, true
		}
	}
	return jsonString{}, false
}

// revision reads `,"revision":<digits>`.
func (h *headerReader) revision() (uint64, bool) {
	const prefix = `,"revision":`
	if len(h.data)-h.i < len(prefix)+1 || string(h.data[h.i:h.i+len(prefix)]) != prefix {
		return 0, false
	}
	start := h.i + len(prefix)
	end := start
	for end < len(h.data) && h.data[end] >= '0' && h.data[end] <= '9' {
		end++
	}
	if end == start || (h.data[start] == '0' && end-start > 1) {
		return 0, false
	}
	var v uint64
	for _, c := range h.data[start:end] {
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false // overflows: no revision is that large
		}
		v = v*10 + d
	}
	h.i = end
	return v, true
}
