package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// ErrNotAsDecided is returned (inside an *IllegalEventError) for a recorded
// event that is not what Decide records for the command that event records:
// a computed field (due time, late or vague flag, compensation, origin) that
// differs, an event the decision does not make, or one it makes that is
// missing.
var ErrNotAsDecided = errors.New("recorded event is not what the rules decide")

// IllegalEventError is returned by CheckDecision for a recorded decision the
// rules did not allow. It names the event (by its index in the decision)
// and wraps either the refusal Decide gives the command the decision records
// (ErrRoleNotAllowed, ErrWrongState, *DeadlineNotDueError, …) or
// ErrNotAsDecided.
type IllegalEventError struct {
	// Index is the event's index in the decision; it equals the number of
	// recorded events when an event the decision makes is missing.
	Index int
	// Type is the recorded event's type, or the missing event's.
	Type string
	// Command is the command rebuilt from the decision's first event, ""
	// when that event is not one a command records first.
	Command string
	// Field is the wire member that differs from what Decide records
	// ("late", "deadlines", "vague_words", "actor", "type", …); "" for a
	// refusal.
	Field string
	// Recorded and Decided are the member's recorded and decided values
	// (JSON), when Field is set.
	Recorded, Decided string
	Err               error
}

func (e *IllegalEventError) Error() string {
	what := fmt.Sprintf("event %d (%s)", e.Index, e.Type)
	if e.Command != "" {
		what += " of " + e.Command
	}
	if e.Field == "" {
		return fmt.Sprintf("%s: %v", what, e.Err)
	}
	return fmt.Sprintf("%s: %v: %s is %s, the rules give %s", what, e.Err, e.Field, orNone(e.Recorded), orNone(e.Decided))
}

func (e *IllegalEventError) Unwrap() error { return e.Err }

// DecisionPolicy returns the policy version a recorded decision was made
// under: the version stamped on its events (events.PolicyStampOf). A
// decision whose events carry no stamp is an appeal decision recorded at
// schema version 1, before appeal decisions recorded their policy, checked
// under its ruling's version, or one whose outcome no policy value shapes;
// then ok is false when the ticket has no ruling, and any policy will do:
// if the decision did depend on one, CheckDecision reports the stamp it
// lacks.
func DecisionPolicy(before *Ticket, recorded []events.Envelope) (version string, ok bool) {
	for i := range recorded {
		if stamp, stamped := events.PolicyStampOf(recorded[i].Payload); stamped {
			return stamp.Version, true
		}
	}
	if before.Ruling != nil {
		return before.Ruling.PolicyVersion, true
	}
	return "", false
}

// withAddressOf returns decided carrying the policy content address
// (PolicySHA256) that recorded carries. The address is not a rule: whether
// the document the check runs under is the one the event was decided under
// is the auditor's check of the document (audit's policy_hash), and events
// recorded before addresses existed carry none. The rest of the payload,
// policy version included, must still be exactly as decided.
func withAddressOf(recorded, decided events.Payload) events.Payload {
	want, ok := events.PolicyStampOf(recorded)
	if have, _ := events.PolicyStampOf(decided); !ok || have.SHA256 == want.SHA256 {
		return decided
	}
	return events.WithPolicySHA256(decided, want.SHA256)
}

// CheckDecision reports whether the rules allowed a recorded decision: the
// events one command appended to a ticket's stream (consecutive events with
// one command id), recorded on the ticket in state before, under pol (the
// policy of the version DecisionPolicy names). It returns nil or an
// *IllegalEventError. before and pol are only read: an auditor hands over
// its replay's state and its policy where they are, for every decision.
//
// It holds no rule of its own. It rebuilds the command from the decision's
// first event (CommandOf), asks Decide — the same guards, the same computed
// fields — to decide it as that event's actor at its time, and requires the
// recorded events to be exactly the events Decide returns, with the same
// actor, time and command id throughout. A rule changed in Decide is thereby
// the rule the check applies.
func CheckDecision(before *Ticket, recorded []events.Envelope, pol *policy.Policy) error {
	if len(recorded) == 0 {
		return &IllegalEventError{Field: "events", Err: fmt.Errorf("%w: a decision records at least one event", ErrNotAsDecided)}
	}
	lead := &recorded[0]
	cmd, ok := CommandOf(lead.Payload)
	if !ok {
		return &IllegalEventError{Type: lead.Type, Field: "type", Recorded: lead.Type,
			Err: fmt.Errorf("%w: no command records %s first; it follows from another event of its decision", ErrNotAsDecided, lead.Type)}
	}
	name := cmd.CommandName()
	decided, err := decide(before, lead.Actor, cmd, lead.OccurredAt, pol)
	if err != nil {
		return &IllegalEventError{Type: lead.Type, Command: name, Err: err}
	}
	for i := range recorded {
		env := &recorded[i] // not a copy of every envelope
		fail := func(field, got, want string) error {
			return &IllegalEventError{Index: i, Type: env.Type, Command: name, Field: field, Recorded: got, Decided: want, Err: ErrNotAsDecided}
		}
		switch {
		case i >= len(decided):
			return fail("events", env.Type, fmt.Sprintf("%d event(s)", len(decided)))
		case env.Actor != lead.Actor:
			return fail("actor", env.Actor.String(), lead.Actor.String())
		case !env.OccurredAt.Equal(lead.OccurredAt):
			return fail("occurred_at", env.OccurredAt.String(), lead.OccurredAt.String())
		case env.CommandID != lead.CommandID:
			return fail("command_id", env.CommandID, lead.CommandID)
		case env.Payload == nil || env.Payload.EventType() != decided[i].EventType():
			return fail("type", env.Type, decided[i].EventType())
		}
		// An event recorded at an older schema version is compared with
		// what Decide records as that version holds it (an appeal decision
		// of version 1 records no policy).
		want := events.InSchemaVersion(decided[i], env.SchemaVersion)
		if field, got, want, same := samePayload(env.Payload, withAddressOf(env.Payload, want)); !same {
			return fail(field, got, want)
		}
	}
	if n := len(recorded); n < len(decided) {
		return &IllegalEventError{Index: n, Type: decided[n].EventType(), Command: name, Field: "events",
			Recorded: fmt.Sprintf("%d event(s)", n), Decided: fmt.Sprintf("%d event(s)", len(decided)), Err: ErrNotAsDecided}
	}
	return nil
}

// samePayload compares a recorded payload with a decided one as the wire
// stores them, and names the first member (in wire-name order) that differs.
// events.SameWire vouches for nearly every pair without reflection; what it
// cannot vouch for is compared by DeepEqual, then by the encodings.
func samePayload(recorded, decided events.Payload) (field, got, want string, same bool) {
	if events.SameWire(recorded, decided) || reflect.DeepEqual(recorded, decided) {
		return "", "", "", true
	}
	r, errR := json.Marshal(recorded)
	d, errD := json.Marshal(decided)
	if errR != nil || errD != nil {
		return "payload", fmt.Sprint(errR), fmt.Sprint(errD), false
	}
	if bytes.Equal(r, d) {
		return "", "", "", true // nil and empty lists, say, read back alike
	}
	var rm, dm map[string]json.RawMessage
	if json.Unmarshal(r, &rm) != nil || json.Unmarshal(d, &dm) != nil {
		return "payload", string(r), string(d), false
	}
	keys := make([]string, 0, len(rm)+len(dm))
	for k := range rm {
		keys = append(keys, k)
	}
	for k := range dm {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		if !bytes.Equal(rm[k], dm[k]) {
			return k, string(rm[k]), string(dm[k]), false
		}
	}
	return "payload", string(r), string(d), false
}
