package audit

import (
	"fmt"

	"github.com/disputes-ledger/disputes/events"
)

// policyHashes checks that the policy documents the verifier holds are
// the ones the events were decided under: a document edited after the fact
// (a compensation multiple changed from 10 to 3, say) would make a legal
// ruling look illegal, or an illegal one legal, under the legality replay.
type policyHashes struct {
	addr        map[string]string // version → SHA-256 of the document held, computed once
	mismatched  map[string]*policyMismatch
	unaddressed int // events that name a version but record no address
}

type policyMismatch struct {
	finding int // index into report.Findings, -1 if not listed
	events  int
	held    string
	first   string // the address the first mismatching event recorded
}

// checkPolicyHash reports, once per version, events whose recorded policy
// address is not the address of the document held for their version.
// Versions the verifier does not hold are policy_unknown's business.
func (v *Verifier) checkPolicyHash(st *streamState, pos uint64, env events.Envelope, line int) {
	stamp, ok := events.PolicyStampOf(env.Payload)
	ver, sha := stamp.Version, stamp.SHA256
	if !ok || ver == "" {
		return
	}
	if sha == "" {
		v.policyHashes.unaddressed++
		return
	}
	pol, known := v.policies[ver]
	if !known {
		return
	}
	h := &v.policyHashes
	if h.addr == nil {
		h.addr, h.mismatched = map[string]string{}, map[string]*policyMismatch{}
	}
	held, done := h.addr[ver]
	if !done {
		held = pol.SHA256()
		h.addr[ver] = held
	}
	if sha == held {
		return
	}
	m, seen := h.mismatched[ver]
	if !seen {
		m = &policyMismatch{finding: -1, held: held, first: sha}
		h.mismatched[ver] = m
		if v.opts.MaxFindings < 0 || len(v.report.Findings) < v.opts.MaxFindings {
			m.finding = len(v.report.Findings)
		}
		rev := env.Revision
		v.Fail(Finding{Check: CheckPolicyHash, Position: pos, Ticket: st.ticket, Revision: &rev, Line: line,
			Message: policyMismatchMessage(ver, m)})
	}
	m.events++
}

func policyMismatchMessage(ver string, m *policyMismatch) string {
	return fmt.Sprintf("the policy document given for version %q has SHA-256 %s, but %d event(s) were decided under a document with SHA-256 %s: it is not the policy they were decided under, and their legality cannot be judged by it",
		ver, m.held, max(m.events, 1), m.first)
}

// finishPolicyHashes completes the findings' counts and warns about events
// that predate content addresses.
func (v *Verifier) finishPolicyHashes() {
	for ver, m := range v.policyHashes.mismatched {
		if m.finding >= 0 {
			v.report.Findings[m.finding].Message = policyMismatchMessage(ver, m)
		}
	}
	if n := v.policyHashes.unaddressed; n > 0 {
		v.Warn("%d event(s) name a policy version but not its SHA-256 (recorded before events carried it): the policy documents given for them are trusted as they are", n)
	}
}
