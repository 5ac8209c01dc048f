package audit

import (
	"maps"
	"slices"

	"github.com/disputes-ledger/disputes/domain/policy"
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
