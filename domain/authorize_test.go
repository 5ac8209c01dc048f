package domain_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

func TestAuthorize(t *testing.T) {
	t.Parallel()
	existing := newLedger(t).given(stageAwaitingMerchant...).ticket
	var missing domain.Ticket
	tests := []struct {
		name    string
		ticket  domain.Ticket
		actor   events.Actor
		cmd     domain.Command
		wantErr error
	}{
		{"buyer of the ticket", existing, buyer, domain.PostMessage{Text: "hi"}, nil},
		{"merchant of the ticket", existing, merchant, domain.Reject{}, nil},
		{"platform roles act on every ticket", existing, agent, domain.RequestEvidence{}, nil},
		{"scheduler", existing, system, domain.ExpireDeadline{Deadline: events.DeadlineMerchantResponse}, nil},
		{"another buyer", existing, otherBuyer, domain.PostMessage{Text: "hi"}, domain.ErrNotYourTicket},
		{"another merchant", existing, otherMerch, domain.Reject{}, domain.ErrNotYourTicket},
		{"role first: another buyer may not rule anywhere", existing, otherBuyer, domain.Rule{}, domain.ErrRoleNotAllowed},
		{"role first, even on a missing ticket", missing, otherBuyer, domain.Rule{}, domain.ErrRoleNotAllowed},
		{"auditors write nothing", existing, auditor, domain.PostMessage{Text: "hi"}, domain.ErrRoleNotAllowed},
		{"no client is the scheduler", existing, agent, domain.ExpireDeadline{Deadline: events.DeadlineMerchantResponse}, domain.ErrRoleNotAllowed},
		{"missing ticket", missing, buyer, domain.PostMessage{Text: "hi"}, domain.ErrTicketNotFound},
		{"opening its own id again is Decide's to refuse", existing, buyer, domain.OpenTicket{}, nil},
		{"opening a taken id, stranger", existing, otherBuyer, domain.OpenTicket{}, domain.ErrTicketExists},
		{"opening a new id", missing, otherBuyer, domain.OpenTicket{}, nil},
		{"invalid actor", existing, events.Actor{Role: "admin", ID: "x"}, domain.PostMessage{}, domain.ErrInvalidCommand},
		{"actor without id", existing, events.Actor{Role: events.RoleBuyer}, domain.PostMessage{}, domain.ErrInvalidCommand},
		{"no command", existing, buyer, nil, domain.ErrInvalidCommand},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := domain.Authorize(tc.ticket, tc.actor, tc.cmd)
			if tc.wantErr == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.wantErr)
		})
	}
}

// TestDecideReliesOnAuthorize holds Decide to the one rule: whatever
// Authorize refuses, Decide refuses with the same error, for every role and
// command on a ticket of each kind of stage.
func TestDecideReliesOnAuthorize(t *testing.T) {
	t.Parallel()
	actors := []events.Actor{buyer, otherBuyer, merchant, otherMerch, agent, arbitrator, senior, auditor, system}
	for _, stage := range [][]step{nil, stageAwaitingMerchant, stageNegotiation, stageRuled} {
		ticket := newLedger(t).given(stage...).ticket
		for _, actor := range actors {
			for _, cmd := range domain.Commands() {
				want := domain.Authorize(ticket, actor, cmd)
				_, got := domain.Decide(ticket, actor, cmd, t0.Add(100*time.Hour), newLedger(t).pol)
				if want != nil {
					require.Error(t, got, "%s %s", actor, cmd.CommandName())
					assert.Equal(t, want.Error(), got.Error(), "%s %s", actor, cmd.CommandName())
					continue
				}
				allowed := slices.Contains(domain.Permissions()[cmd.CommandName()], actor.Role)
				assert.True(t, allowed, "Authorize let %s %s", actor, cmd.CommandName())
			}
		}
	}
}
