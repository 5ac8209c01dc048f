package audit

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/policy"
)

// legality replays the event on its ticket and re-checks what the domain
// checked when it was decided, under the policy version recorded on it.
func (v *Verifier) legality(st *streamState, pos uint64, env events.Envelope, line int) {
	if st.damaged {
		return
	}
	rev := env.Revision
	fail := func(c Check, format string, args ...any) {
		v.Fail(Finding{Check: c, Position: pos, Ticket: st.ticket, Revision: &rev, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	var t domain.Ticket
	if st.state != nil {
		t = *st.state
	}
	v.resolveCitations(st, env)
	switch {
	case st.closed:
		fail(CheckClosedTicket, "%s recorded after the ticket closed", env.Type)
	case !t.Exists():
		open, ok := env.Payload.(events.RefundRequested)
		if !ok {
			fail(CheckTicketOpen, "the ticket's first event is %s, not %s", env.Type, events.TypeRefundRequested)
		} else if open.TicketID != st.ticket {
			fail(CheckTicketOpen, "the request opens ticket %q in the stream of ticket %q", open.TicketID, st.ticket)
		}
	default:
		if _, ok := env.Payload.(events.RefundRequested); ok {
			fail(CheckTicketOpen, "the ticket is opened a second time")
		}
		v.checkPolicyRules(t, st, env, fail)
	}
	if st.closed {
		return
	}
	v.checkSchedule(st, t.EffectiveAt(env), env, fail)
	next := t.Apply(env)
	if next.Closed() {
		// Nothing may follow a close, so only the fact of the close is kept.
		st.state, st.closed = nil, true
		return
	}
	if st.state == nil {
		st.state = new(domain.Ticket)
	}
	*st.state = next // reuses the ticket's slot: no allocation per event
}

type failFunc func(c Check, format string, args ...any)

// policyFor returns the policy of version ver, counting the events an
// unknown version leaves unchecked (one finding per version).
func (v *Verifier) policyFor(ver string, st *streamState, env events.Envelope) (policy.Policy, bool) {
	if p, ok := v.policies[ver]; ok {
		return p, true
	}
	u, seen := v.unknown[ver]
	if !seen {
		u = &unknownPolicy{finding: -1}
		v.unknown[ver] = u
		rev := env.Revision
		if v.opts.MaxFindings < 0 || len(v.report.Findings) < v.opts.MaxFindings {
			u.finding = len(v.report.Findings)
		}
		v.Fail(Finding{Check: CheckPolicyUnknown, Position: st.lastPos, Ticket: st.ticket, Revision: &rev, Line: st.lastLine,
			Message: fmt.Sprintf("policy version %q is not known to the verifier", ver)})
	}
	u.events++
	return policy.Policy{}, false
}

// checkSchedule checks every due time the event stores against the policy
// version it names and the calendar of that version, counted from when the
// event took effect (at): for an expiry fired late and what it caused, the
// expired deadline's due time (events.ExpiryEffect).
func (v *Verifier) checkSchedule(st *streamState, at time.Time, env events.Envelope, fail failFunc) {
	s, ok := ScheduleOf(env.Payload)
	if !ok {
		return
	}
	pol, known := v.policyFor(s.PolicyVersion, st, env)
	if !known {
		return
	}
	for _, d := range s.Deadlines {
		if !d.Kind.Valid() {
			fail(CheckDeadlineSchedule, "unknown deadline kind %q", d.Kind)
			continue
		}
		if want := pol.DueAt(d.Kind, at); !d.DueAt.Equal(want) {
			fail(CheckDeadlineSchedule, "deadline %s is stored as due %s; policy %s gives %s for an event in effect at %s",
				d.Kind, stamp(d.DueAt), pol.Version, stamp(want), stamp(at))
		}
	}
}

// checkPolicyRules re-checks the event types whose legality the domain
// decided from the state: rulings, appeals, evidence, expiries, messages.
func (v *Verifier) checkPolicyRules(t domain.Ticket, st *streamState, env events.Envelope, fail failFunc) {
	switch e := env.Payload.(type) {
	case events.EvidenceSubmitted:
		if !slices.Contains([]domain.Status{domain.StatusNegotiation, domain.StatusAwaitingEvidence, domain.StatusUnderReview}, t.Status) {
			fail(CheckEvidenceState, "evidence %s recorded while the ticket was %s, not taking evidence", evidenceIDs(e.Items), t.Status)
		}
	case events.RulingRecorded:
		v.report.Rulings++
		v.checkRuling(t, st, env, e, fail)
	case events.AppealFiled:
		v.report.Appeals++
		switch due, open := t.Deadlines[events.DeadlineAppeal]; {
		case t.Ruling == nil || t.Status != domain.StatusRuled:
			fail(CheckAppealFiled, "appeal filed while the ticket was %s, with no ruling open to appeal", t.Status)
		case t.Ruling.Appeal != nil:
			fail(CheckAppealFiled, "the ruling was already appealed")
		case !open || env.OccurredAt.After(due):
			fail(CheckAppealFiled, "appeal filed at %s, after its window closed at %s", stamp(env.OccurredAt), stamp(due))
		}
	case events.AppealDecided:
		v.checkAppeal(t, st, env, e, fail)
	case events.RulingFinalized:
		switch {
		case t.Ruling == nil:
			fail(CheckRulingFinalized, "a ruling is finalized on a ticket that has none")
		default:
			want := t.Ruling.Terms
			if st.overturned != nil {
				want = *st.overturned
			}
			if e.Terms != want {
				fail(CheckRulingFinalized, "final terms %s are not the terms ruled%s, %s", terms(e.Terms), map[bool]string{true: " as overturned on appeal"}[st.overturned != nil], terms(want))
			}
		}
	case events.DeadlineExpired:
		due, open := t.Deadlines[e.Deadline]
		switch {
		case env.Actor.Role != events.RoleSystem:
			fail(CheckDeadlineExpiry, "deadline %s fired by %s, not the system", e.Deadline, env.Actor)
		case !open:
			fail(CheckDeadlineExpiry, "deadline %s fired but was not running", e.Deadline)
		case !e.DueAt.Equal(due):
			fail(CheckDeadlineExpiry, "deadline %s fired as due %s, but it was due %s", e.Deadline, stamp(e.DueAt), stamp(due))
		case env.OccurredAt.Before(due):
			fail(CheckDeadlineExpiry, "deadline %s fired at %s, before it was due at %s", e.Deadline, stamp(env.OccurredAt), stamp(due))
		}
	case events.MessagePosted:
		pol, known := v.policyFor(e.PolicyVersion, st, env)
		if !known {
			return
		}
		var want []string
		if env.Actor.Role == events.RoleMerchant {
			want = pol.VagueWordsIn(e.Text)
		}
		if e.VagueDeadline != (len(want) > 0) || !slices.Equal(e.VagueWords, want) {
			fail(CheckMessageVague, "message flagged vague=%t with words %q; policy %s gives vague=%t with %q", e.VagueDeadline, e.VagueWords, pol.Version, len(want) > 0, want)
		}
	}
}

func (v *Verifier) checkRuling(t domain.Ticket, st *streamState, env events.Envelope, e events.RulingRecorded, fail failFunc) {
	if env.Actor.Role != events.RoleArbitrator {
		fail(CheckRulingRole, "ruled by %s, who is not an arbitrator", env.Actor)
	}
	if t.Status != domain.StatusUnderReview {
		fail(CheckRulingState, "ruled while the ticket was %s, not under review", t.Status)
	}
	for _, id := range e.Evidence {
		ev, ok := t.Evidence[id]
		switch {
		case !ok:
			// Decided at the end: evidence recorded later names its position.
			if st.pending == nil {
				st.pending = map[string]citation{}
			}
			st.pending[id] = citation{pos: st.lastPos, rev: env.Revision, line: st.lastLine}
		case ev.RecordedAt.After(env.OccurredAt):
			fail(CheckRulingEvidence, "the ruling at %s cites evidence %q recorded later, at %s", stamp(env.OccurredAt), id, stamp(ev.RecordedAt))
		}
	}
	pol, known := v.policyFor(e.PolicyVersion, st, env)
	if known {
		if err := domain.CheckTerms(t, e.Terms, pol.CompensationMultiple); err != nil {
			fail(CheckRulingTerms, "terms %s not allowed under policy %s: %v", terms(e.Terms), pol.Version, err)
		}
	}
	late := t.SLABreached
	if due, ok := t.Deadlines[events.DeadlineRulingSLA]; ok && env.OccurredAt.After(due) {
		late = true
	}
	if e.Late != late {
		fail(CheckRulingLate, "ruling recorded with late=%t, but its SLA gives late=%t", e.Late, late)
	}
}

func (v *Verifier) checkAppeal(t domain.Ticket, st *streamState, env events.Envelope, e events.AppealDecided, fail failFunc) {
	if t.Status != domain.StatusUnderAppeal || t.Ruling == nil {
		fail(CheckAppealState, "appeal decided while the ticket was %s, with no appeal pending", t.Status)
		return
	}
	if env.Actor.Role != events.RoleSeniorArbitrator {
		fail(CheckAppealRole, "appeal decided by %s, who is not a senior arbitrator", env.Actor)
	} else if env.Actor.ID == t.Ruling.ArbitratorID {
		fail(CheckAppealRole, "appeal decided by %s, who made the ruling", env.Actor.ID)
	}
	switch e.Decision {
	case events.AppealUpheld:
		if e.Terms != nil {
			fail(CheckAppealTerms, "an upheld ruling keeps its terms, but the decision carries %s", terms(*e.Terms))
		}
	case events.AppealOverturned:
		if e.Terms == nil {
			fail(CheckAppealTerms, "an overturned ruling needs new terms")
			return
		}
		nt := *e.Terms
		st.overturned = &nt
		// The appeal is decided under the rules the ruling was made under.
		if pol, known := v.policyFor(t.Ruling.PolicyVersion, st, env); known {
			if err := domain.CheckTerms(t, nt, pol.CompensationMultiple); err != nil {
				fail(CheckAppealTerms, "terms %s not allowed under policy %s: %v", terms(nt), pol.Version, err)
			}
		}
	default:
		fail(CheckAppealTerms, "decision %q is neither upheld nor overturned", e.Decision)
	}
}

// resolveCitations turns evidence that arrives after a ruling cited it into
// a finding at the ruling, naming where the evidence was recorded.
func (v *Verifier) resolveCitations(st *streamState, env events.Envelope) {
	e, ok := env.Payload.(events.EvidenceSubmitted)
	if !ok || len(st.pending) == 0 {
		return
	}
	for _, item := range e.Items {
		c, cited := st.pending[item.ID]
		if !cited {
			continue
		}
		delete(st.pending, item.ID)
		rev := c.rev
		v.Fail(Finding{Check: CheckRulingEvidence, Position: c.pos, Ticket: st.ticket, Revision: &rev, Line: c.line, Message: fmt.Sprintf(
			"the ruling cites evidence %q, which was recorded only after the ruling, at position %d (revision %d)", item.ID, st.lastPos, env.Revision)})
	}
}

func evidenceIDs(items []events.EvidenceItem) string {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = fmt.Sprintf("%q", it.ID)
	}
	return strings.Join(ids, ", ")
}

func terms(t events.Terms) string {
	return fmt.Sprintf("{%s, liability %s, refund %d, compensation %d, counterfeit %t}", t.Outcome, t.Liability, t.Refund, t.Compensation, t.Counterfeit)
}

func stamp(t interface{ Format(string) string }) string {
	return t.Format("2006-01-02T15:04:05.999999999Z07:00")
}
