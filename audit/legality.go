package audit

import (
	"errors"
	"fmt"
	"strings"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// The verifier holds no rule of the domain. It groups each ticket's events
// into decisions (consecutive events with one command id: what one command
// appended) and asks domain.CheckDecision whether the rules of the policy
// version the decision records allowed it. What is left here is about the
// evidence itself: which policy documents the verifier has, where an event
// is stored, and which finding a refusal is reported as.

// recordedEvent is an event of a decision in progress and where it was read.
type recordedEvent struct {
	env  events.Envelope
	pos  uint64
	line int
}

// legality adds the event to its ticket's decision in progress, checking
// the previous decision once this event shows it is complete.
func (c *ticketChecks) legality(st *streamState, pos uint64, env *events.Envelope, line int) {
	if st.damaged {
		return
	}
	if open, ok := env.Payload.(events.RefundRequested); ok && open.TicketID != st.ticket {
		rev := env.Revision
		c.fail(Finding{Check: CheckTicketOpen, Position: pos, Ticket: st.ticket, Revision: &rev, Line: line,
			Message: fmt.Sprintf("the request opens ticket %q in the stream of ticket %q", open.TicketID, st.ticket)})
	}
	switch env.Payload.(type) {
	case events.RulingRecorded:
		c.rulings++
	case events.AppealFiled:
		c.appeals++
	}
	if st.open == nil && st.closed == nil {
		c.replayFor(st) // the ticket's first event
		st.decision = st.open.decision
	}
	if n := len(st.decision); n > 0 && !sameDecision(&st.decision[0].env, env) {
		c.checkDecision(st, false)
	}
	st.decision = append(st.decision, recordedEvent{env: *env, pos: pos, line: line})
	closes := st.closed == nil && domain.Closes(env.Payload)
	c.resolveCitations(st, pos, env)
	if closes || st.closed != nil {
		// A close ends its decision (anything after it, even with its
		// command id, is refused as closed_ticket): check it now and keep
		// nothing of a closed ticket but whose it was (decided). What
		// follows a close is checked alone, each event as it comes.
		c.checkDecision(st, false)
		st.decision = nil
	}
}

// sameDecision reports whether env continues the decision lead began: one
// command's events carry its command id and its actor. Command ids are
// scoped to their principal (docs/security.md, "Idempotency"), so two
// principals may each send "k-1" and be recorded one after the other: those
// are two decisions, never one.
func sameDecision(lead, env *events.Envelope) bool {
	return lead.CommandID == env.CommandID && lead.Actor == env.Actor
}

// checkDecision checks the stream's decision in progress and clears it.
// cutShort says the input ended before the log a seal covers: a decision
// missing its last events at the end is then explained by the truncation,
// which the seal check reports.
func (c *ticketChecks) checkDecision(st *streamState, cutShort bool) {
	rec := st.decision
	st.decision = st.decision[:0]
	c.judge(st, c.decisionBase(st), rec, cutShort)
	c.decided(st, rec)
}

// judge asks the domain whether the decision rec, made on the ticket in
// state before, was allowed, and reports it if not. before is read only.
func (c *ticketChecks) judge(st *streamState, before *domain.Ticket, rec []recordedEvent, cutShort bool) {
	envs := c.scratch[:0]
	for _, r := range rec {
		envs = append(envs, r.env)
	}
	c.scratch = envs
	pol, ok := c.decisionPolicy(st, before, envs, &rec[0])
	if !ok {
		return
	}
	err := domain.CheckDecision(before, envs, pol)
	if err == nil {
		return
	}
	var ill *domain.IllegalEventError
	if !errors.As(err, &ill) {
		ill = &domain.IllegalEventError{Type: envs[0].Type, Err: err}
	}
	if cutShort && ill.Index >= len(rec) {
		return
	}
	at := rec[min(ill.Index, len(rec)-1)]
	rev := at.env.Revision
	check := checkFor(ill, envs[0].Type)
	msg := err.Error()
	if check == CheckRulingEvidence {
		if cited := c.deferCitations(st, before, at); cited {
			return // reported when the evidence turns up, or at the end
		}
	}
	c.fail(Finding{Check: check, Position: at.pos, Ticket: st.ticket, Revision: &rev, Line: at.line, Message: msg})
}

// noPolicy is the policy a decision that depends on none is checked
// under; it is only read.
var noPolicy = &policy.Policy{}

// decisionPolicy returns the policy a decision is checked under: the
// version it records (domain.DecisionPolicy), or, for a decision that names
// none, the one the ticket's last decision was checked under. It is only
// read.
func (c *ticketChecks) decisionPolicy(st *streamState, before *domain.Ticket, envs []events.Envelope, lead *recordedEvent) (*policy.Policy, bool) {
	if ver, named := domain.DecisionPolicy(before, envs); named {
		pol, known := c.policyFor(ver, st, lead, len(envs))
		if known && st.policy != ver {
			st.policy = c.keep(ver) // not a window on the event's bytes, kept to the end
		}
		return pol, known
	}
	if pol, ok := c.lookup(st.policy); ok && st.policy != "" {
		return pol, true
	}
	if !before.Exists() {
		// Nothing but opening the ticket is allowed, and that names a version.
		return noPolicy, true
	}
	return noPolicy, false // the ticket's policy is unknown, and reported
}

// lookup returns the policy of version ver the verifier holds, for reading
// only: a copy of it made once per shard, rather than one (of some 350
// bytes) for every decision.
func (c *ticketChecks) lookup(ver string) (*policy.Policy, bool) {
	if p, ok := c.looked[ver]; ok {
		return p, true
	}
	pol, ok := c.policies[ver]
	if !ok {
		return nil, false
	}
	if c.looked == nil {
		c.looked = map[string]*policy.Policy{}
	}
	c.looked[strings.Clone(ver)] = &pol
	return &pol, true
}

// policyFor returns the policy of version ver, counting the events an
// unknown version leaves unchecked (one finding per version).
func (c *ticketChecks) policyFor(ver string, st *streamState, at *recordedEvent, n int) (*policy.Policy, bool) {
	if p, ok := c.lookup(ver); ok {
		return p, true
	}
	if c.unknown == nil {
		c.unknown = map[string]int{}
	}
	if _, seen := c.unknown[ver]; !seen {
		rev := at.env.Revision
		c.out = append(c.out, action{kind: actUnknownPolicy, at: c.at, version: ver, finding: Finding{
			Check: CheckPolicyUnknown, Position: at.pos, Ticket: st.ticket, Revision: &rev, Line: at.line,
			Message: fmt.Sprintf("policy version %q is not known to the verifier", ver)}})
	}
	c.unknown[ver] += n
	return noPolicy, false
}

// checkFor names the finding for a decision the domain did not allow, from
// the rule it broke and the event types concerned, so that reports keep
// the check names they always had.
func checkFor(ill *domain.IllegalEventError, lead string) Check {
	var notDue *domain.DeadlineNotDueError
	actor := errors.Is(ill.Err, domain.ErrRoleNotAllowed) || errors.Is(ill.Err, domain.ErrNotYourTicket) ||
		ill.Field == "actor" || ill.Field == "buyer_id"
	switch {
	case errors.Is(ill.Err, domain.ErrTicketClosed):
		return CheckClosedTicket
	case errors.Is(ill.Err, domain.ErrTicketNotFound), errors.Is(ill.Err, domain.ErrTicketExists):
		return CheckTicketOpen
	case ill.Field == "deadlines" || ill.Field == "policy_version":
		return CheckDeadlineSchedule
	case ill.Type == events.TypeRulingFinalized && ill.Field != "":
		return CheckRulingFinalized
	}
	switch lead {
	case events.TypeRulingRecorded:
		switch {
		case actor:
			return CheckRulingRole
		case errors.Is(ill.Err, domain.ErrWrongState):
			return CheckRulingState
		case errors.Is(ill.Err, domain.ErrEvidenceNotFound):
			return CheckRulingEvidence
		case ill.Field == "late":
			return CheckRulingLate
		}
		return CheckRulingTerms
	case events.TypeAppealFiled:
		return CheckAppealFiled
	case events.TypeAppealDecided:
		switch {
		case actor || errors.Is(ill.Err, domain.ErrSameArbitrator):
			return CheckAppealRole
		case errors.Is(ill.Err, domain.ErrWrongState):
			return CheckAppealState
		}
		return CheckAppealTerms
	case events.TypeDeadlineExpired:
		return CheckDeadlineExpiry
	case events.TypeEvidenceSubmitted:
		return CheckEvidenceState
	case events.TypeMessagePosted:
		if ill.Field == "vague_deadline" || ill.Field == "vague_words" {
			return CheckMessageVague
		}
	}
	switch {
	case actor:
		return CheckEventActor
	case errors.As(ill.Err, &notDue):
		return CheckDeadlineExpiry
	}
	return CheckEventRules
}

// deferCitations turns a ruling citing evidence not on record into pending
// citations, reported when evidence with that id is recorded later (naming
// where) or at the end (never recorded). It returns false when every cited
// id was on record: the ruling was refused for evidence recorded after it.
func (c *ticketChecks) deferCitations(st *streamState, before *domain.Ticket, at recordedEvent) bool {
	r, ok := at.env.Payload.(events.RulingRecorded)
	if !ok {
		return false
	}
	deferred := false
	for _, id := range r.Evidence {
		if _, on := before.Evidence[id]; on {
			continue
		}
		if st.citations == nil {
			st.citations = map[string]citation{}
		}
		st.citations[id] = citation{pos: at.pos, rev: at.env.Revision, line: at.line}
		deferred = true
	}
	return deferred
}

// resolveCitations turns evidence that arrives after a ruling cited it into
// a finding at the ruling, naming where the evidence was recorded.
func (c *ticketChecks) resolveCitations(st *streamState, pos uint64, env *events.Envelope) {
	e, ok := env.Payload.(events.EvidenceSubmitted)
	if !ok || len(st.citations) == 0 {
		return
	}
	for _, item := range e.Items {
		cit, cited := st.citations[item.ID]
		if !cited {
			continue
		}
		delete(st.citations, item.ID)
		rev := cit.rev
		c.fail(Finding{Check: CheckRulingEvidence, Position: cit.pos, Ticket: st.ticket, Revision: &rev, Line: cit.line, Message: fmt.Sprintf(
			"the ruling cites evidence %q, which was recorded only after the ruling, at position %d (revision %d)", item.ID, pos, env.Revision)})
	}
}

// finishStreams checks every decision still in progress and reports the
// citations of evidence never recorded.
func (c *ticketChecks) finishStreams(cutShort bool) {
	for _, st := range c.streams {
		if len(st.decision) > 0 && !st.damaged {
			c.checkDecision(st, cutShort)
		}
		for id, cit := range st.citations {
			rev := cit.rev
			c.fail(Finding{Check: CheckRulingEvidence, Position: cit.pos, Ticket: st.ticket, Revision: &rev, Line: cit.line,
				Message: fmt.Sprintf("the ruling cites evidence %q, which is never recorded on the ticket", id)})
		}
	}
}
