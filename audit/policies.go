package audit

import (
	"maps"
	"reflect"
	"slices"
	"sync"

	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// PolicySet is the policy versions a verifier knows, by version.
type PolicySet map[string]policy.Policy

// NewPolicySet returns a set of the given policies; a later policy with the
// same version replaces an earlier one.
func NewPolicySet(pols ...policy.Policy) PolicySet {
	s := make(PolicySet, len(pols))
	for _, p := range pols {
		s[p.Version] = p
	}
	return s
}

// Versions returns the versions in the set, sorted.
func (s PolicySet) Versions() []string { return slices.Sorted(maps.Keys(s)) }

// PolicyVersionOf returns the policy version recorded on a payload, and
// false for a payload that records none.
func PolicyVersionOf(p events.Payload) (string, bool) {
	v, _, ok := PolicyStampOf(p)
	return v, ok
}

// scheduleField caches, per payload type, the index of its embedded
// events.Schedule, or nil if it has none.
var scheduleField sync.Map // reflect.Type -> []int

var scheduleType = reflect.TypeFor[events.Schedule]()

// ScheduleOf returns the events.Schedule a payload embeds, and false if its
// type embeds none. It finds the field by type, so a payload type added to
// the catalogue later is covered without a change here.
func ScheduleOf(p events.Payload) (events.Schedule, bool) {
	v := reflect.ValueOf(p)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return events.Schedule{}, false
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return events.Schedule{}, false
	}
	idx, ok := scheduleField.Load(v.Type())
	if !ok {
		var found []int
		if f, has := v.Type().FieldByName("Schedule"); has && f.Anonymous && f.Type == scheduleType {
			found = f.Index
		}
		idx, _ = scheduleField.LoadOrStore(v.Type(), found)
	}
	if idx.([]int) == nil {
		return events.Schedule{}, false
	}
	return v.FieldByIndex(idx.([]int)).Interface().(events.Schedule), true
}
