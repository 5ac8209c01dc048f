package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
)

// writeCommandResponse writes a command's answer with status, exactly as
// writeJSON would encode r (a test holds the two to the same bytes), but
// cheaper: the recorded events are copied as they stand, where
// encoding/json would re-scan and compact every json.RawMessage, and the
// body is built in a reused buffer and goes out in one write with its
// Content-Length.
//
// The events are copied unchecked because they are canonical by
// construction: the bytes the handler appended (commands.Result.Wire), or
// for a duplicate the stored events encoded again (events.Encode); both
// are the codec's compact output, which the store's strict decoder and
// verify read back.
func writeCommandResponse(w http.ResponseWriter, status int, r CommandResponse) {
	rb := responseBuffers.Get().(*responseBuffer)
	defer rb.release()
	if err := rb.commandResponse(r); err != nil {
		// As writeJSON would: whatever encoding/json makes of it, which is
		// nothing if it fails too (an Encoder writes only a whole value).
		rb.buf.Reset()
		_ = rb.enc.Encode(r)
	}
	setAnswerHeaders(w.Header(), r, rb.buf.Len())
	w.WriteHeader(status)
	_, _ = w.Write(rb.buf.Bytes())
}

// setAnswerHeaders sets the headers of a command's answer: its ETag (the
// ticket's revision), Location (the ticket), Idempotent-Replayed on a
// duplicate's, and the JSON body's type, caching and length. They are
// what Header().Set would make of them, in two allocations where the
// Sets took eight: the names are spelled as net/http canonicalises them
// (ETag is "Etag"), the values share one slice, and the three that vary
// are cut out of one string.
func setAnswerHeaders(h http.Header, r CommandResponse, length int) {
	var b [64]byte
	varying := strconv.AppendUint(append(b[:0], '"'), r.Revision, 10)
	varying = append(varying, '"')
	tagEnd := len(varying)
	varying = strconv.AppendInt(varying, int64(length), 10)
	lengthEnd := len(varying)
	varying = append(append(varying, "/v1/tickets/"...), r.TicketID...)
	all := string(varying)
	n := 5
	if r.Duplicate {
		n++
	}
	vals := make([]string, n)
	vals[0], vals[1], vals[2] = all[:tagEnd], all[lengthEnd:], all[tagEnd:lengthEnd]
	vals[3], vals[4] = "application/json", "no-store"
	h["Etag"], h["Location"], h["Content-Length"] = vals[0:1:1], vals[1:2:2], vals[2:3:3]
	h["Content-Type"], h["Cache-Control"] = vals[3:4:4], vals[4:5:5]
	if r.Duplicate {
		vals[5] = "true"
		h["Idempotent-Replayed"] = vals[5:6:6]
	}
}

// responseBuffer is a buffer and an encoder writing to it without HTML
// escaping, as writeJSON's does.
type responseBuffer struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var responseBuffers = sync.Pool{New: func() any {
	rb := &responseBuffer{}
	rb.enc = json.NewEncoder(&rb.buf)
	rb.enc.SetEscapeHTML(false)
	return rb
}}

// maxPooledResponse bounds the buffers kept for reuse, so that one huge
// answer does not stay in memory.
const maxPooledResponse = 64 << 10

func (rb *responseBuffer) release() {
	if rb.buf.Cap() <= maxPooledResponse {
		rb.buf.Reset()
		responseBuffers.Put(rb)
	}
}

// commandResponse writes r into the buffer as writeJSON encodes it: the
// members in CommandResponse's order, no HTML escaping, a final newline.
func (rb *responseBuffer) commandResponse(r CommandResponse) error {
	b := &rb.buf
	b.Reset()
	b.WriteString(`{"ticket_id":`)
	if err := rb.jsonString(r.TicketID); err != nil {
		return err
	}
	b.WriteString(`,"command_id":`)
	if err := rb.jsonString(r.CommandID); err != nil {
		return err
	}
	b.WriteString(`,"duplicate":`)
	b.Write(strconv.AppendBool(b.AvailableBuffer(), r.Duplicate))
	b.WriteString(`,"revision":`)
	b.Write(strconv.AppendUint(b.AvailableBuffer(), r.Revision, 10))
	b.WriteString(`,"events":`)
	if r.Events == nil {
		b.WriteString("null")
	} else {
		b.WriteByte('[')
		for i, e := range r.Events {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(e)
		}
		b.WriteByte(']')
	}
	b.WriteString(`,"ticket":`)
	if err := rb.ticketView(r.Ticket); err != nil {
		return err
	}
	b.WriteString("}\n")
	return nil
}

// jsonString writes s as a JSON string. An id (letters, digits and a
// little punctuation, which is all a validated id holds) needs no escape;
// anything else is left to encoding/json.
func (rb *responseBuffer) jsonString(s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return rb.value(s)
		}
	}
	rb.buf.WriteByte('"')
	rb.buf.WriteString(s)
	rb.buf.WriteByte('"')
	return nil
}

// value writes v as encoding/json encodes it, without HTML escaping and
// without the encoder's newline.
func (rb *responseBuffer) value(v any) error {
	if err := rb.enc.Encode(v); err != nil {
		return err
	}
	rb.buf.Truncate(rb.buf.Len() - 1)
	return nil
}
