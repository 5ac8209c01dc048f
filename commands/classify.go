package commands

import (
	"errors"
	"slices"

	"github.com/disputes-ledger/disputes/domain"
)

// ErrorKind is the class of a failed command: what a client must do about
// it. The CLI prints it and the HTTP API maps it to a status code.
type ErrorKind string

// The error kinds.
const (
	// KindValidation: the request is malformed; fix it, do not retry as is.
	KindValidation ErrorKind = "validation"
	// KindForbidden: the actor may not do this (role or ownership).
	KindForbidden ErrorKind = "forbidden"
	// KindNotFound: the ticket does not exist, or the actor is not one of
	// its parties: the two are one answer, so a non-party learns nothing.
	KindNotFound ErrorKind = "not_found"
	// KindConflict: the ticket changed under the client (If-Match) or too
	// many writers raced; re-read and retry.
	KindConflict ErrorKind = "conflict"
	// KindRefused: the rules refuse the command in the ticket's current state.
	KindRefused ErrorKind = "refused"
	// KindUnavailable: the store failed; the same request may succeed
	// shortly. Retry it after a pause with the same command id: if the
	// first attempt was recorded after all, the retry answers with it.
	KindUnavailable ErrorKind = "unavailable"
	// KindInternal: anything else, including a cancelled context; the
	// ledger's fault, not the client's.
	KindInternal ErrorKind = "internal"
)

// Classification is an error's kind and a stable code naming the exact
// reason, e.g. {KindRefused, "ticket_locked"}. Codes never change meaning:
// clients may switch on them.
type Classification struct {
	Kind ErrorKind
	Code string
}

// classes is the one table from the write path's errors to kinds and
// codes: sentinels (matched with errors.Is) and typed errors (errors.As)
// alike. Order matters only where one error could match two entries.
// TestEveryErrorHasAClass reads domain's, commands' and eventstore's
// sources and fails on an error named neither here nor in its short list
// of deliberate 500s, so a new refusal cannot silently become one.
var classes = []struct {
	is   func(error) bool
	kind ErrorKind
	code string
}{
	{sentinel(ErrValidation), KindValidation, "validation"},
	{sentinel(domain.ErrInvalidCommand), KindValidation, "invalid_command"},
	{sentinel(domain.ErrContradictoryInput), KindValidation, "contradictory_input"},
	{sentinel(domain.ErrRoleNotAllowed), KindForbidden, "role_not_allowed"},
	// Not a party of an existing ticket reads exactly as no such ticket.
	{sentinel(domain.ErrNotYourTicket), KindNotFound, "ticket_not_found"},
	{sentinel(domain.ErrTicketNotFound), KindNotFound, "ticket_not_found"},
	{sentinel(ErrRevisionMismatch), KindConflict, "revision_mismatch"},
	{sentinel(ErrTooManyConflicts), KindConflict, "too_many_conflicts"},
	// Before ErrUnavailable: an unknown outcome is the more precise news.
	{sentinel(ErrOutcomeUnknown), KindUnavailable, "outcome_unknown"},
	{sentinel(ErrUnavailable), KindUnavailable, "unavailable"},
	{sentinel(ErrIdempotencyKeyReused), KindRefused, "idempotency_key_reused"},
	{sentinel(domain.ErrTicketExists), KindRefused, "ticket_exists"},
	{sentinel(domain.ErrTicketClosed), KindRefused, "ticket_closed"},
	{sentinel(domain.ErrTicketLocked), KindRefused, "ticket_locked"},
	{sentinel(domain.ErrWrongState), KindRefused, "wrong_state"},
	{sentinel(domain.ErrAmountExceedsPaid), KindRefused, "amount_exceeds_paid"},
	{sentinel(domain.ErrAmountOutOfRange), KindRefused, "amount_out_of_range"},
	{sentinel(domain.ErrWindowClosed), KindRefused, "window_closed"},
	{sentinel(domain.ErrEscalationNotAllowed), KindRefused, "escalation_not_allowed"},
	{sentinel(domain.ErrEvidenceNotFound), KindRefused, "evidence_not_found"},
	{sentinel(domain.ErrSameArbitrator), KindRefused, "same_arbitrator"},
	{sentinel(domain.ErrAlreadyAppealed), KindRefused, "already_appealed"},
	{sentinel(domain.ErrRulingTerms), KindRefused, "ruling_terms"},
	{sentinel(domain.ErrDeadlineNotOpen), KindRefused, "deadline_not_open"},
	{typed[*domain.DeadlineNotDueError](), KindRefused, "deadline_not_due"},
}

// sentinel matches errors that are target (errors.Is).
func sentinel(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

// typed matches errors that hold an E (errors.As).
func typed[E error]() func(error) bool {
	return func(err error) bool {
		_, ok := errors.AsType[E](err)
		return ok
	}
}

// Classify returns the kind and code of an error returned by Handle,
// ParseRequest or Validate. Errors it does not know are KindInternal.
func Classify(err error) Classification {
	if err == nil {
		return Classification{}
	}
	for _, c := range classes {
		if c.is(err) {
			return Classification{Kind: c.kind, Code: c.code}
		}
	}
	return Classification{Kind: KindInternal, Code: "internal"}
}

// Codes lists every code Classify can return, for documentation and tests.
func Codes() []string {
	out := make([]string, 0, len(classes)+1)
	for _, c := range classes {
		if !slices.Contains(out, c.code) {
			out = append(out, c.code)
		}
	}
	return append(out, "internal")
}

// Classifications lists every kind and code Classify can return, once
// each, in the table's order: the OpenAPI document's problem codes by
// status are read from it.
func Classifications() []Classification {
	out := make([]Classification, 0, len(classes)+1)
	for _, c := range classes {
		cl := Classification{Kind: c.kind, Code: c.code}
		if !slices.Contains(out, cl) {
			out = append(out, cl)
		}
	}
	return append(out, Classification{KindInternal, "internal"})
}
