package events

import "reflect"

// PolicyStamp is the policy an event records it was decided under.
type PolicyStamp struct {
	// Version is the policy's version.
	Version string
	// SHA256 is the content address of the version's document
	// (policy.Policy.SHA256); "" on events recorded before events carried it.
	SHA256 string
}

// policyStamped is a payload that records the policy it was decided under:
// one that embeds a Schedule (whose method it is promoted) or has its own
// stamp (MessagePosted, AppealDecided). ok is false for one that records
// none after all (an appeal decision of schema version 1).
type policyStamped interface {
	policyStamp() (stamp PolicyStamp, ok bool)
}

func (s Schedule) policyStamp() (PolicyStamp, bool) {
	return PolicyStamp{Version: s.PolicyVersion, SHA256: s.PolicySHA256}, true
}

func (m MessagePosted) policyStamp() (PolicyStamp, bool) {
	return PolicyStamp{Version: m.PolicyVersion, SHA256: m.PolicySHA256}, true
}

func (d AppealDecided) policyStamp() (PolicyStamp, bool) {
	return PolicyStamp{Version: d.PolicyVersion, SHA256: d.PolicySHA256}, d.PolicyVersion != ""
}

// PolicyStampOf returns the policy stamp recorded on a payload, and false
// for a payload whose type records none. A payload type that embeds a
// Schedule records one without a change here; an appeal decision recorded
// at schema version 1 records none. It is the one reader of the
// stamp: the domain (which policy a decision is checked under), the
// penalty projection (which points a fact earns) and the auditor (which
// document an event was decided under) all call it, for every event of a
// ledger, so it does not allocate.
func PolicyStampOf(p Payload) (PolicyStamp, bool) {
	s, ok := p.(policyStamped)
	if !ok {
		return PolicyStamp{}, false
	}
	return s.policyStamp()
}

// WithPolicySHA256 returns p with the content address of its stamp set to
// sha, and p itself when its type records no stamp.
func WithPolicySHA256(p Payload, sha string) Payload {
	switch m := p.(type) {
	case MessagePosted:
		m.PolicySHA256 = sha
		return m
	case AppealDecided:
		m.PolicySHA256 = sha
		return m
	case policyStamped:
		if reflect.TypeOf(p).Kind() != reflect.Struct {
			return p
		}
		v := reflect.New(reflect.TypeOf(p)).Elem()
		v.Set(reflect.ValueOf(p))
		if f := v.FieldByName("Schedule"); f.IsValid() && f.Type() == scheduleType {
			f.Addr().Interface().(*Schedule).PolicySHA256 = sha
		}
		return v.Interface().(Payload)
	}
	return p
}

var scheduleType = reflect.TypeFor[Schedule]()
