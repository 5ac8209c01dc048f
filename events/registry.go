package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// CurrentSchemaVersion is the schema version of every payload type today.
// When a payload's shape changes, its version moves on and an upcaster
// (see upcast) turns old stored bodies into the new shape on read; stored
// events are never rewritten.
const CurrentSchemaVersion = 1

// catalogue returns the zero value of every payload type, in the order of
// Types(). It is the one list to extend when a type is added.
func catalogue() []Payload {
	return []Payload{
		RefundRequested{}, RequestRevised{}, MerchantAgreed{}, MerchantRejected{},
		OfferMade{}, OfferAccepted{}, OfferDeclined{}, ReturnShipped{},
		ReturnReceived{}, ReturnProblemReported{}, ReplacementShipped{},
		ReplacementConfirmed{}, RefundIssued{}, InterventionRequested{},
		EvidenceRequested{}, EvidenceSubmitted{}, MarkedResolved{},
		RulingRecorded{}, AppealFiled{}, AppealDecided{}, RulingFinalized{},
		TicketWithdrawn{}, TicketAbandoned{}, TicketExpired{}, MessagePosted{},
		DeadlineExpired{}, RulingSLABreached{},
	}
}

// entry is what the codec knows about one payload type.
type entry struct {
	name string       // wire name, the interned constant
	typ  reflect.Type // the payload struct
	plan *plan        // how the canonical decoder reads it; nil if it cannot
}

// registry maps wire names to their entries. It is built once at package
// initialisation and only read afterwards.
var registry = newRegistry()

func newRegistry() map[string]*entry {
	m := make(map[string]*entry)
	for _, p := range catalogue() {
		e := &entry{name: p.EventType(), typ: reflect.TypeOf(p)}
		if pl, err := planFor(e.typ); err == nil {
			e.plan = pl
		}
		if _, dup := m[e.name]; dup {
			panic("events: wire name " + e.name + " registered twice")
		}
		m[e.name] = e
	}
	return m
}

// Types lists every wire name of the catalogue.
func Types() []string {
	ps := catalogue()
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.EventType()
	}
	return names
}

// SchemaVersionOf returns the current schema version of a wire name, or
// false for an unknown type.
func SchemaVersionOf(eventType string) (int, bool) {
	if _, known := registry[eventType]; !known {
		return 0, false
	}
	return CurrentSchemaVersion, true
}

// decodePayload strictly decodes raw into the payload type named eventType.
func decodePayload(eventType string, raw []byte) (Payload, error) {
	e, known := registry[eventType]
	if !known {
		return nil, &UnknownTypeError{Type: eventType}
	}
	p := reflect.New(e.typ)
	if err := strictUnmarshal(raw, p.Interface()); err != nil {
		return nil, err
	}
	return p.Elem().Interface().(Payload), nil
}

// strictUnmarshal decodes exactly one JSON value into v, refusing unknown
// fields and trailing data.
func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after JSON value")
	}
	if _, err := dec.Token(); err == nil {
		return fmt.Errorf("trailing data after JSON value")
	}
	return nil
}

// upcast turns a stored payload of an older schema version into the current
// shape. No shape has changed yet, so every other version is refused.
func upcast(eventType string, version int, raw []byte) ([]byte, error) {
	if version == CurrentSchemaVersion {
		return raw, nil
	}
	return nil, &VersionError{Type: eventType, Version: version, Want: CurrentSchemaVersion}
}
