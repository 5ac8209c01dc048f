package commands_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	wrap := func(err error) error { return fmt.Errorf("agree on ticket T-1: %w", err) }
	tests := []struct {
		err  error
		kind commands.ErrorKind
		code string
	}{
		{&commands.ValidationError{Field: "command_id", Reason: "is required"}, commands.KindValidation, "validation"},
		{wrap(domain.ErrInvalidCommand), commands.KindValidation, "invalid_command"},
		{wrap(&domain.ContradictionError{Fields: []string{"order_shipped", "delivered_at"}}), commands.KindValidation, "contradictory_input"},
		{wrap(domain.ErrRoleNotAllowed), commands.KindForbidden, "role_not_allowed"},
		{wrap(domain.ErrNotYourTicket), commands.KindNotFound, "ticket_not_found"},
		{wrap(domain.ErrTicketNotFound), commands.KindNotFound, "ticket_not_found"},
		{wrap(commands.ErrRevisionMismatch), commands.KindConflict, "revision_mismatch"},
		{wrap(commands.ErrTooManyConflicts), commands.KindConflict, "too_many_conflicts"},
		{wrap(domain.ErrTicketLocked), commands.KindRefused, "ticket_locked"},
		{wrap(domain.ErrAmountOutOfRange), commands.KindRefused, "amount_out_of_range"},
		{wrap(domain.ErrDeadlineNotOpen), commands.KindRefused, "deadline_not_open"},
		{wrap(&domain.DeadlineNotDueError{Kind: "evidence", DueAt: time.Now(), Now: time.Now()}), commands.KindRefused, "deadline_not_due"},
		{wrap(context.DeadlineExceeded), commands.KindInternal, "internal"},
		{errors.New("disk on fire"), commands.KindInternal, "internal"},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			got := commands.Classify(tc.err)
			assert.Equal(t, tc.kind, got.Kind)
			assert.Equal(t, tc.code, got.Code)
			assert.Contains(t, commands.Codes(), got.Code)
		})
	}
	assert.Equal(t, commands.Classification{}, commands.Classify(nil))
}
