package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/projections/views"
)

// commandBody is a command request's body. Every member is optional:
// command_id may come from the Idempotency-Key header instead, and
// commands without fields need no data.
type commandBody struct {
	CommandID     string          `json:"command_id,omitempty"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	Data          json.RawMessage `json:"data,omitempty"`
}

// command returns the handler of POST /v1/tickets/{ticket_id}/commands/{name}.
// The actor is always the authenticated principal; whether it may issue
// the command on this ticket is the domain's decision.
func (s *Server) command(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := infoOf(r.Context())
		info.command, info.ticketID = name, r.PathValue("ticket_id")
		res, err := s.runCommand(w, r, name, info)
		if err == nil {
			var wire []json.RawMessage
			if wire, err = wireOf(res); err == nil {
				s.answerCommand(w, info, res, wire)
				return
			}
		}
		info.outcome = problemFor(err).Code
		writeProblem(w, r, err)
	})
}

// wireOf returns the canonical bytes of a result's events: as the handler
// appended them, or encoded again for a duplicate's, read from the store.
func wireOf(res commands.Result) ([]json.RawMessage, error) {
	if len(res.Wire) != len(res.Events) {
		return wireEvents(res.Events)
	}
	out := make([]json.RawMessage, len(res.Wire))
	for i, b := range res.Wire {
		out[i] = b
	}
	return out, nil
}

func (s *Server) answerCommand(w http.ResponseWriter, info *requestInfo, res commands.Result, wire []json.RawMessage) {
	// Every recorded command answered 201; a replay answers as the first
	// time did, saying so in a header.
	info.outcome = "recorded"
	if res.Duplicate {
		info.outcome = "duplicate"
	}
	writeCommandResponse(w, http.StatusCreated, CommandResponse{TicketID: res.TicketID, CommandID: info.commandID, Duplicate: res.Duplicate,
		Revision: res.Revision, Events: wire, Ticket: views.Ticket(res.Ticket)})
}

func (s *Server) runCommand(w http.ResponseWriter, r *http.Request, name string, info *requestInfo) (commands.Result, error) {
	var body commandBody
	if err := s.decodeBody(w, r, &body); err != nil {
		return commands.Result{}, err
	}
	id := r.Header.Get("Idempotency-Key")
	switch {
	case id != "" && body.CommandID != "" && id != body.CommandID:
		return commands.Result{}, badRequest("command_id", "differs from the Idempotency-Key header")
	case id == "":
		id = body.CommandID
	}
	if id == "" {
		return commands.Result{}, badRequest("Idempotency-Key", "a command id is required, in the Idempotency-Key header or as command_id: it makes retries safe")
	}
	info.commandID = id
	expected, err := ifMatch(r.Header.Get("If-Match"))
	if err != nil {
		return commands.Result{}, err
	}
	cmd, err := commands.DecodeCommand(name, body.Data)
	if err != nil {
		return commands.Result{}, err
	}
	req := commands.Request{CommandID: id, CorrelationID: body.CorrelationID, TicketID: info.ticketID,
		Actor: principalOf(r).Actor(), Command: name, ExpectedRevision: expected}
	// Once decoded, a command runs to its end, bounded by CommandTimeout
	// only: a client that leaves (or a server shutting down) must not
	// cancel an append between commit and answer. Its outcome is recorded
	// under the command id, which a retry reads back.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.cfg.CommandTimeout)
	defer cancel()
	return s.handler.Handle(ctx, req, cmd)
}

// decodeBody reads a bounded JSON body strictly into v. An empty body
// leaves v as it is.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	data, err := readBody(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes), r.ContentLength, s.cfg.MaxBodyBytes)
	if err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			return err
		}
		// A client too slow to send its body runs into the server's read
		// timeout; one that went away will not read the answer anyway.
		return &apiError{status: http.StatusRequestTimeout, code: "request_timeout", detail: "reading the request body: " + err.Error()}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	// application/json itself, what every client sends, needs no parsing
	// (ParseMediaType builds a map of parameters for each request).
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/json" {
		mt, _, err := mime.ParseMediaType(ct)
		// Only application/json, the one type openapi.json lists: a +json
		// type (merge-patch, a vendor's) promises semantics this API does
		// not give it, and an undocumented input is an inventory gap.
		if err != nil || mt != "application/json" {
			return &apiError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
				detail: "request bodies are application/json, not " + ct}
		}
	}
	return commands.DecodeStrict("body", data, v)
}

// readBody reads body whole, into a buffer the size the request said
// (Content-Length, when within max), where io.ReadAll starts at 512 bytes
// and grows; body bounds what it may say. A length past preallocBody is
// left to io.ReadAll, which grows with what arrives: a client declaring a
// large body and sending nothing must not make the server hold it.
func readBody(body io.Reader, length, max int64) ([]byte, error) {
	if length <= 0 || length > max || length > preallocBody {
		return io.ReadAll(body)
	}
	// One byte more than said, so that the end is read in the buffer too.
	data := make([]byte, 0, length+1)
	for {
		n, err := body.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return data, err
		}
		if len(data) == cap(data) {
			rest, err := io.ReadAll(body)
			return append(data, rest...), err
		}
	}
}

// preallocBody is the largest declared body read into a buffer of its
// length at once.
const preallocBody = 16 << 10

// ifMatch reads an If-Match header holding one revision: "3", W/"3" or 3.
func ifMatch(h string) (*uint64, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return nil, nil
	}
	v := strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
	rev, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return nil, badRequest("If-Match", "must be one ticket revision, e.g. \"3\" (the ETag of the ticket)")
	}
	return &rev, nil
}

func etag(rev uint64) string { return `"` + strconv.FormatUint(rev, 10) + `"` }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
