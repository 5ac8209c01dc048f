package audit

import (
	"fmt"

	"github.com/disputes-ledger/disputes/events"
)

// policyMismatch is a policy version whose held document is not the one
// its events were decided under, reported once.
type policyMismatch struct {
	finding int // index into report.Findings, -1 if not listed
	held    string
	first   string // the address the first mismatching event recorded
}

// checkPolicyHash notes events whose recorded policy address is not the
// address of the document held for their version: a document edited after
// the fact (a compensation multiple changed from 10 to 3, say) would make a
// legal ruling look illegal, or an illegal one legal, under the legality
// replay. The verifier reports each version once (policyMismatchFound).
// Versions the verifier does not hold are policy_unknown's business.
func (c *ticketChecks) checkPolicyHash(st *streamState, pos uint64, env *events.Envelope, line int) {
	stamp, ok := events.PolicyStampOf(env.Payload)
	ver, sha := stamp.Version, stamp.SHA256
	if !ok || ver == "" {
		return
	}
	if sha == "" {
		c.unaddressed++
		return
	}
	held, known := c.heldAddress(ver)
	if !known || sha == held {
		return
	}
	if c.mismatched == nil {
		c.mismatched = map[string]int{}
	}
	if _, seen := c.mismatched[ver]; !seen {
		rev := env.Revision
		m := &policyMismatch{held: held, first: sha}
		c.out = append(c.out, action{kind: actPolicyMismatch, at: c.at, version: ver, held: held, first: sha, finding: Finding{
			Check: CheckPolicyHash, Position: pos, Ticket: st.ticket, Revision: &rev, Line: line,
			Message: policyMismatchMessage(ver, m, 1)}})
	}
	c.mismatched[ver]++
}

// heldAddress returns the address of the policy document held for version
// ver, false if none is. Nearly every event names the version the one
// before it named, so the last answer is kept apart from the map.
func (c *ticketChecks) heldAddress(ver string) (string, bool) {
	if ver == c.lastHeld.version && c.lastHeld.address != "" {
		return c.lastHeld.address, true
	}
	pol, known := c.policies[ver]
	if !known {
		return "", false
	}
	if c.held == nil {
		c.held = map[string]string{}
	}
	held, done := c.held[ver]
	if !done {
		held = pol.SHA256()
		c.held[ver] = held
	}
	c.lastHeld.version, c.lastHeld.address = ver, held
	return held, true
}

// forgetHeld drops the address held for version ver, whose document
// changed: it is computed afresh.
func (c *ticketChecks) forgetHeld(ver string) {
	delete(c.held, ver)
	delete(c.looked, ver)
	if c.lastHeld.version == ver {
		c.lastHeld.version, c.lastHeld.address = "", ""
	}
}

// policyMismatchFound reports a version's mismatching document, once.
func (v *Verifier) policyMismatchFound(a action) {
	if _, seen := v.mismatched[a.version]; seen {
		return
	}
	m := &policyMismatch{finding: -1, held: a.held, first: a.first}
	v.mismatched[a.version] = m
	if v.opts.MaxFindings < 0 || len(v.report.Findings) < v.opts.MaxFindings {
		m.finding = len(v.report.Findings)
	}
	v.fail(a.finding)
}

func policyMismatchMessage(ver string, m *policyMismatch, events int) string {
	return fmt.Sprintf("the policy document given for version %q has SHA-256 %s, but %d event(s) were decided under a document with SHA-256 %s: it is not the policy they were decided under, and their legality cannot be judged by it",
		ver, m.held, max(events, 1), m.first)
}

// finishPolicyHashes completes the findings' counts and warns about events
// that predate content addresses.
func (v *Verifier) finishPolicyHashes() {
	unaddressed := 0
	for _, c := range v.shards {
		unaddressed += c.unaddressed
	}
	for ver, m := range v.mismatched {
		if m.finding < 0 {
			continue
		}
		n := 0
		for _, c := range v.shards {
			n += c.mismatched[ver]
		}
		v.report.Findings[m.finding].Message = policyMismatchMessage(ver, m, n)
	}
	if unaddressed > 0 {
		v.warn("%d event(s) name a policy version but not its SHA-256 (recorded before events carried it): the policy documents given for them are trusted as they are", unaddressed)
	}
}
