package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
)

// CurrentSchemaVersion is the schema version of every payload type whose
// shape never changed; SchemaVersionOf gives each type's own. When a
// payload's shape changes, its version moves on (schemaChanges) and an
// upcaster turns old stored bodies into the new shape on read; stored
// events are never rewritten.
const CurrentSchemaVersion = 1

// schemaChange is one change of a payload type's shape: from version
// From-1 to From. Old bodies read into the new shape; fits tells whether a
// payload in the new shape says only what the old version could, and
// older returns it as the old version records it.
type schemaChange struct {
	from  int
	fits  func(Payload) bool
	older func(Payload) Payload
}

// schemaChanges lists, by wire name, every change of a payload's shape, in
// order. It is the one list to extend when a shape changes (with the
// upcaster of the old bodies in upcast).
var schemaChanges = map[string][]schemaChange{
	// 2: an appeal decision records its policy (policy_version,
	// policy_sha256, both omitted when empty, so a version 1 body reads
	// unchanged).
	TypeAppealDecided: {{
		from: 2,
		fits: func(p Payload) bool {
			d, ok := p.(AppealDecided)
			return ok && d.PolicyVersion == "" && d.PolicySHA256 == ""
		},
		older: func(p Payload) Payload {
			d := p.(AppealDecided)
			d.PolicyVersion, d.PolicySHA256 = "", ""
			return d
		},
	}},
}

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
	// indirect says an interface holds a pointer to a copy of the payload
	// (SameWire reads the payload there).
	indirect bool
	version  int            // the current schema version
	changes  []schemaChange // schemaChanges[name], looked up once
}

// readable reports whether a payload of e at schema version v can be read
// and written: a version from 1 to the current one whose shape holds p
// (every change since v must find p fitting the older shape).
func (e *entry) readable(v int, p Payload) bool {
	if v < 1 || v > e.version {
		return false
	}
	for _, c := range e.changes {
		if c.from > v && !c.fits(p) {
			return false
		}
	}
	return true
}

// registry maps wire names to their entries. It is built once at package
// initialisation and only read afterwards.
var registry = newRegistry()

func newRegistry() map[string]*entry {
	m := make(map[string]*entry)
	for _, p := range catalogue() {
		e := &entry{name: p.EventType(), typ: reflect.TypeOf(p), version: CurrentSchemaVersion}
		e.indirect = indirectInInterface(e.typ)
		if e.changes = schemaChanges[e.name]; len(e.changes) > 0 {
			e.version = e.changes[len(e.changes)-1].from
		}
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
	e, known := registry[eventType]
	if !known {
		return 0, false
	}
	return e.version, true
}

// schemaVersionFor reports whether a payload p of eventType may be encoded
// at schema version v, and the type's current version. A type outside the
// catalogue is held to CurrentSchemaVersion.
func schemaVersionFor(eventType string, v int, p Payload) (current int, ok bool) {
	e, known := registry[eventType]
	if !known {
		return CurrentSchemaVersion, v == CurrentSchemaVersion
	}
	return e.version, e.readable(v, p)
}

// InSchemaVersion returns p as an event of schema version v records it:
// p itself at its type's current version, and at an older one p without
// what that version could not hold (an appeal decision's policy at version
// 1). The legality check compares a recorded decision with what Decide
// records today through it. An unknown type or version returns p.
func InSchemaVersion(p Payload, v int) Payload {
	for _, c := range slices.Backward(schemaChanges[p.EventType()]) {
		if c.from > v {
			p = c.older(p)
		}
	}
	return p
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
	if !NothingAfter(dec, raw) {
		return fmt.Errorf("trailing data after JSON value")
	}
	return nil
}

// upcast turns a stored payload of an older schema version into the current
// shape. Every change so far only added members that are omitted when
// empty, so an old body reads as it is; whether it holds only what its
// version could is checked on the decoded payload (entry.readable).
func upcast(eventType string, version int, raw []byte) ([]byte, error) {
	e := registry[eventType]
	if version < 1 || version > e.version {
		return nil, &VersionError{Type: eventType, Version: version, Want: e.version}
	}
	return raw, nil
}
