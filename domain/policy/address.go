package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
)

// address is a compiled policy's content address, computed once: Decide
// stamps it on every event it records and an auditor compares it with
// every event's, and encoding the canonical document each time cost more
// than the rest of a decision. It remembers the rules it was computed from
// (a deep copy), so a Policy whose exported fields were changed after
// compiling is hashed afresh rather than given a stale address.
type address struct {
	of  Policy
	sha string
}

func newAddress(p Policy) *address {
	p.cal, p.addr = nil, nil
	p.VagueWords = slices.Clone(p.VagueWords)
	p.Calendar.Holidays = slices.Clone(p.Calendar.Holidays)
	p.Calendar.MakeupWorkdays = slices.Clone(p.Calendar.MakeupWorkdays)
	return &address{of: p, sha: hashCanonical(p)}
}

// lookup returns the address if p still states the rules it was computed from.
func (a *address) lookup(p *Policy) (string, bool) {
	if a == nil || !sameRules(&a.of, p) {
		return "", false
	}
	return a.sha, true
}

// sameRules reports whether a and b have the same canonical document.
// Every exported field of Policy is compared (TestAddressNoticesEveryField
// changes each in turn); lists compare as Canonical writes them, nil and
// empty alike.
func sameRules(a, b *Policy) bool {
	ca, cb := a.Calendar, b.Calendar
	return a.Version == b.Version && a.Windows == b.Windows && a.Penalties == b.Penalties &&
		a.NoReasonDays == b.NoReasonDays && a.CompensationMultiple == b.CompensationMultiple &&
		a.MaxAmount == b.MaxAmount &&
		slices.Equal(a.VagueWords, b.VagueWords) &&
		ca.TimeZone == cb.TimeZone && ca.UTCOffsetMinutes == cb.UTCOffsetMinutes &&
		ca.WorkdayStart == cb.WorkdayStart && ca.WorkdayEnd == cb.WorkdayEnd &&
		slices.Equal(ca.Holidays, cb.Holidays) && slices.Equal(ca.MakeupWorkdays, cb.MakeupWorkdays)
}

// SHA256 returns the hex SHA-256 of the canonical document: the policy's
// content address, which every event decided under the policy records
// (events.Schedule.PolicySHA256) so that an auditor can tell a document
// handed to them from the one the decision was made under.
//
// It keeps a value receiver so that policy.Default().SHA256() reads as it
// always did; the rules are compared through a pointer.
func (p Policy) SHA256() string {
	if sha, ok := p.addr.lookup(&p); ok {
		return sha
	}
	return hashCanonical(p)
}

func hashCanonical(p Policy) string {
	sum := sha256.Sum256(p.Canonical())
	return hex.EncodeToString(sum[:])
}
