package domain

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/events"
)

// Refusals. Decide wraps them with the detail of the case; test with errors.Is.
var (
	// ErrInvalidCommand is returned for a command with missing or malformed fields.
	ErrInvalidCommand = errors.New("invalid command")
	// ErrRoleNotAllowed is returned when the actor's role may not issue the command.
	ErrRoleNotAllowed = errors.New("role not allowed")
	// ErrNotYourTicket is returned when a buyer or merchant acts on another party's ticket.
	ErrNotYourTicket = errors.New("not your ticket")
	// ErrTicketNotFound is returned for a command on a ticket that was never opened.
	ErrTicketNotFound = errors.New("ticket not found")
	// ErrTicketExists is returned when opening a ticket id that is taken.
	ErrTicketExists = errors.New("ticket already exists")
	// ErrTicketClosed is returned for every command on a closed ticket.
	ErrTicketClosed = errors.New("ticket is closed")
	// ErrTicketLocked is returned for merchant actions after intervention (介入).
	ErrTicketLocked = errors.New("ticket is locked by platform intervention")
	// ErrWrongState is returned when the ticket's stage does not allow the command.
	ErrWrongState = errors.New("not allowed in the ticket's current state")
	// ErrAmountExceedsPaid is returned when a refund or request exceeds the amount paid.
	ErrAmountExceedsPaid = errors.New("amount exceeds the amount paid")
	// ErrWindowClosed is returned when a time-limited right has lapsed.
	ErrWindowClosed = errors.New("window has closed")
	// ErrEscalationNotAllowed is returned when intervention is requested without grounds.
	ErrEscalationNotAllowed = errors.New("intervention not allowed")
	// ErrEvidenceNotFound is returned when a ruling cites evidence not on record.
	ErrEvidenceNotFound = errors.New("cited evidence not on record")
	// ErrSameArbitrator is returned when the ruling arbitrator tries to decide the appeal.
	ErrSameArbitrator = errors.New("appeal must be decided by another arbitrator")
	// ErrAlreadyAppealed is returned for a second appeal.
	ErrAlreadyAppealed = errors.New("ruling already appealed")
	// ErrRulingTerms is returned for a ruling whose outcome, liability and amounts disagree with the rules.
	ErrRulingTerms = errors.New("ruling terms not allowed")
	// ErrAmountOutOfRange is returned when a sum or product of amounts the
	// rules compute (a refund plus what was refunded, the counterfeit
	// compensation multiple of the price) does not fit in int64 minor units.
	ErrAmountOutOfRange = errors.New("amount out of range")
	// ErrDeadlineNotOpen is returned when firing a deadline the ticket is not running.
	ErrDeadlineNotOpen = errors.New("deadline not open")
	// ErrContradictoryInput is returned (as a *ContradictionError) for a
	// command whose fields contradict each other, such as an order never
	// shipped that has a delivery time.
	ErrContradictoryInput = errors.New("contradictory input")
)

// ContradictionError names the fields of a command that cannot all be true.
// It unwraps to ErrContradictoryInput. Nothing is recorded: the request is
// refused as a whole rather than one field silently preferred.
type ContradictionError struct {
	Fields []string // the JSON names of the fields, as the client sent them
	Reason string
}

func (e *ContradictionError) Error() string {
	return fmt.Sprintf("%s: %s: %s", ErrContradictoryInput, strings.Join(e.Fields, " and "), e.Reason)
}

// Unwrap returns ErrContradictoryInput.
func (e *ContradictionError) Unwrap() error { return ErrContradictoryInput }

// DeadlineNotDueError is returned when the scheduler fires a deadline early.
type DeadlineNotDueError struct {
	Kind  events.DeadlineKind
	DueAt time.Time
	Now   time.Time
}

func (e *DeadlineNotDueError) Error() string {
	return fmt.Sprintf("deadline %s is due at %s, not yet at %s", e.Kind, e.DueAt.Format(time.RFC3339), e.Now.Format(time.RFC3339))
}

func refuse(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}

func invalid(field, reason string) error {
	return fmt.Errorf("%w: %s %s", ErrInvalidCommand, field, reason)
}
