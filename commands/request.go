package commands

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// Request is one command as it arrives from outside: the JSON-lines input of
// `disputes exec` and the body of the HTTP API.
type Request struct {
	CommandID     string          `json:"command_id"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	TicketID      string          `json:"ticket_id"`
	Actor         events.Actor    `json:"actor"`
	Command       string          `json:"command"`
	Data          json.RawMessage `json:"data,omitempty"`
	// ExpectedRevision, when set, makes the command fail unless the ticket is
	// at exactly this revision (the HTTP If-Match header).
	ExpectedRevision *uint64 `json:"expected_revision,omitempty"`
	// At is the command's time. Only a Handler built WithClientTime honours
	// it (replays, imports and the simulated demo); otherwise it is refused.
	At *time.Time `json:"at,omitempty"`
}

// Limits bound every field of a command so that bad input fails early and
// cheaply rather than bloating the ledger.
type Limits struct {
	MaxRequestBytes int // whole JSON request
	MaxIDBytes      int // command, ticket, actor and other *_id fields
	MaxTextBytes    int // any other string field
	MaxListItems    int // any list
	// MaxAmount bounds every amount, in minor units. Zero means the
	// policy's: a Handler takes its policy's MaxAmount, ParseRequest
	// without one policy.DefaultMaxAmount.
	MaxAmount int64
}

// DefaultLimits are generous for people and tight for abuse.
func DefaultLimits() Limits {
	return Limits{MaxRequestBytes: 256 << 10, MaxIDBytes: 128, MaxTextBytes: 8 << 10, MaxListItems: 64}
}

// AmountLimit is the most an amount may be under l: MaxAmount, or when
// zero the default policy's.
func (l Limits) AmountLimit() int64 {
	if l.MaxAmount > 0 {
		return l.MaxAmount
	}
	return policy.DefaultMaxAmount
}

// ErrValidation is returned (wrapped) for malformed requests: nothing is appended.
var ErrValidation = errors.New("invalid request")

// ValidationError names the offending field.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

// Unwrap lets errors.Is(err, ErrValidation) match.
func (e *ValidationError) Unwrap() error { return ErrValidation }

func invalidField(field, reason string) error { return &ValidationError{Field: field, Reason: reason} }

// Names returns every command name the API accepts.
func Names() []string {
	var out []string
	for _, c := range domain.Commands() {
		out = append(out, c.CommandName())
	}
	return out
}

// ParseRequest decodes and validates one JSON request strictly: unknown
// fields, unknown commands, missing ids and oversize values are errors.
func ParseRequest(data []byte, limits Limits) (Request, domain.Command, error) {
	var req Request
	if len(data) > limits.MaxRequestBytes {
		return req, nil, invalidField("request", fmt.Sprintf("is %d bytes, limit %d", len(data), limits.MaxRequestBytes))
	}
	if err := DecodeStrict("request", data, &req); err != nil {
		return req, nil, err
	}
	cmd, err := DecodeCommand(req.Command, req.Data)
	if err != nil {
		return req, nil, err
	}
	if err := Validate(req, cmd, limits); err != nil {
		return req, nil, err
	}
	return req, cmd, nil
}

// DecodeStrict decodes data, one JSON object, into v, which must be a
// pointer, refusing what encoding/json would accept silently or rewrite:
// text that is not valid UTF-8 or escapes half a surrogate pair, member
// names that are not the exact-case names of v's fields, duplicate member
// names, unknown fields, trailing data, null (whole, as a member or as an
// item) and "" as an enumeration's value. Errors are *ValidationError
// naming the member path; what cannot be parsed is named whole. An object
// of plain members (strings, integers, booleans, a raw object) is decoded
// without encoding/json, to the value it would give (decodeFlat).
func DecodeStrict(whole string, data []byte, v any) error {
	if decodeFlatChecked(data, v) {
		return nil // what the walk passes, decoded as decodeFlat would
	}
	if err := checkRawStrings("", data, reflect.TypeOf(v)); err != nil {
		return err
	}
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return invalidField(whole, "is null, not a JSON object")
	}
	if decodeFlat(data, v) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalidField(whole, "malformed JSON: "+err.Error())
	}
	if !events.NothingAfter(dec, data) {
		return invalidField(whole, "trailing data after the JSON object")
	}
	return nil
}

// DecodeCommand strictly decodes data as the command named name. Text
// that is not valid UTF-8 is refused before decoding, which would replace
// it.
func DecodeCommand(name string, data json.RawMessage) (domain.Command, error) {
	if spec, ok := domain.LookupCommand(name); ok {
		zero := spec.Zero
		ptr := reflect.New(reflect.TypeOf(zero))
		if decodeFlatChecked(data, ptr.Interface()) {
			return ptr.Elem().Interface().(domain.Command), nil // what the walk passes, decoded as decodeFlat would
		}
		if err := checkRawStrings("data", data, reflect.TypeOf(zero)); err != nil {
			return nil, err
		}
		if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && !bytes.Equal(trimmed, []byte("null")) && !decodeFlat(data, ptr.Interface()) {
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			if err := dec.Decode(ptr.Interface()); err != nil {
				return nil, invalidField("data", fmt.Sprintf("%s: %v", name, err))
			}
		}
		return ptr.Elem().Interface().(domain.Command), nil
	}
	if name == "" {
		return nil, invalidField("command", "is required")
	}
	return nil, invalidField("command", fmt.Sprintf("%q is not a known command (known: %s)", name, strings.Join(Names(), ", ")))
}

// Validate checks the request envelope and bounds every field of cmd.
func Validate(req Request, cmd domain.Command, limits Limits) error {
	if err := checkID("command_id", req.CommandID, limits, true); err != nil {
		return err
	}
	if err := checkSystemNamespace(req); err != nil {
		return err
	}
	if err := checkID("ticket_id", req.TicketID, limits, true); err != nil {
		return err
	}
	if err := checkID("correlation_id", req.CorrelationID, limits, false); err != nil {
		return err
	}
	if !req.Actor.Role.Valid() {
		return invalidField("actor.role", fmt.Sprintf("%q is not a role", req.Actor.Role))
	}
	if err := checkID("actor.id", req.Actor.ID, limits, true); err != nil {
		return err
	}
	if open, ok := cmd.(domain.OpenTicket); ok && open.TicketID != "" && open.TicketID != req.TicketID {
		return invalidField("data.ticket_id", "differs from the request's ticket_id")
	}
	var path [96]byte
	return checkValue(append(path[:0], "data"...), reflect.ValueOf(cmd), limits)
}

// IDPunctuation is what an envelope id (command, ticket, correlation and
// actor id) may hold besides ASCII letters and digits.
const IDPunctuation = "-_.:@"

func checkID(field, v string, limits Limits, required bool) error {
	if v == "" {
		if required {
			return invalidField(field, "is required")
		}
		return nil
	}
	if len(v) > limits.MaxIDBytes {
		return invalidField(field, fmt.Sprintf("is %d bytes, limit %d", len(v), limits.MaxIDBytes))
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(IDPunctuation, r)) {
			return invalidField(field, fmt.Sprintf("%q may only hold letters, digits and - _ . : @", v))
		}
	}
	return nil
}

// checkValue walks a command's fields: ids are short, text is bounded,
// valid UTF-8 and free of controls and bidirectional formatting
// characters (checkText), lists are bounded. path is the field's path
// (data.items[2].kind), appended to in place as the walk goes down and
// made a string only for a refusal: every command is walked, and joining
// the path at every field allocated for each.
func checkValue(path []byte, v reflect.Value, limits Limits) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return checkValue(path, v.Elem(), limits)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			return nil
		}
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			sub := path
			if !f.Anonymous {
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				sub = append(append(path, '.'), name...)
			}
			if err := checkValue(sub, v.Field(i), limits); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if v.Len() > limits.MaxListItems {
			return invalidField(string(path), fmt.Sprintf("has %d items, limit %d", v.Len(), limits.MaxListItems))
		}
		for i := 0; i < v.Len(); i++ {
			sub := append(strconv.AppendInt(append(path, '['), int64(i), 10), ']')
			if err := checkValue(sub, v.Index(i), limits); err != nil {
				return err
			}
		}
	case reflect.String:
		s := v.String()
		if !utf8.ValidString(s) {
			return invalidField(string(path), "is not valid UTF-8")
		}
		max, id := limits.MaxTextBytes, bytes.HasSuffix(path, []byte("_id")) || bytes.HasSuffix(path, []byte(".id"))
		if id {
			max = limits.MaxIDBytes
		}
		if len(s) > max {
			return invalidField(string(path), fmt.Sprintf("is %d bytes, limit %d", len(s), max))
		}
		if err := checkText(path, s, id); err != nil {
			return err
		}
	case reflect.Int64, reflect.Int:
		// Every integer a command carries is an amount in minor units.
		if v.Int() < 0 {
			return invalidField(string(path), "must not be negative")
		}
		if max := limits.AmountLimit(); v.Int() > max {
			return invalidField(string(path), fmt.Sprintf("is %d, more than the most an amount may be (%d minor units)", v.Int(), max))
		}
	}
	return nil
}
