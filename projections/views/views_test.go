package views_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections/views"
)

// TestViewsOfTheCounterfeitSeed checks the views carry what the ticket
// holds: the ruling with its cited evidence, the evidence with its parties,
// and one history step per event chained by hashes.
func TestViewsOfTheCounterfeitSeed(t *testing.T) {
	t.Parallel()
	var counterfeit scenarios.Scenario
	for _, sc := range scenarios.Seeds(time.Date(2026, 11, 2, 1, 30, 0, 0, time.UTC)) {
		if sc.Name == "c-counterfeit-ruling" {
			counterfeit = sc
		}
	}
	require.NotEmpty(t, counterfeit.Steps)
	envs, err := scenarios.Play(counterfeit, policy.Default(), nil)
	require.NoError(t, err)
	steps := domain.Timeline(envs, nil)

	v := views.Ticket(steps[len(steps)-1].State)
	require.NotNil(t, v.Ruling)
	assert.True(t, v.Ruling.Terms.Counterfeit)
	assert.Equal(t, 10*v.AmountPaid, v.Compensation)
	assert.Len(t, v.Evidence, 4)
	assert.NotEmpty(t, v.Evidence[0].Party)
	assert.Empty(t, v.Deadlines, "a closed ticket has none open")

	hist, err := views.History(steps)
	require.NoError(t, err)
	require.Len(t, hist, len(envs))
	for i := 1; i < len(hist); i++ {
		assert.Equal(t, hist[i-1].Hash, hist[i].PrevHash)
	}
	for i, st := range hist {
		assert.Equal(t, envs[i].ID.String(), st.EventID, "step %d names its event", i)
	}
	assert.Equal(t, "closed", string(hist[len(hist)-1].StateAfter.Status))
	var payload map[string]any
	require.NoError(t, json.Unmarshal(hist[0].Payload, &payload))
	assert.Equal(t, v.TicketID, payload["ticket_id"])
}

// TestTicketAtListsMissedDeadlinesAsOverdue: a deadline past due at the
// view's moment and not fired yet is overdue; before its due time it is not.
func TestTicketAtListsMissedDeadlinesAsOverdue(t *testing.T) {
	t.Parallel()
	due := time.Date(2026, 11, 5, 2, 0, 0, 0, time.UTC)
	ticket := domain.Ticket{Status: domain.StatusAwaitingMerchant,
		Deadlines: map[events.DeadlineKind]time.Time{events.DeadlineMerchantResponse: due}}

	before := views.TicketAt(ticket, due.Add(-time.Minute))
	assert.Empty(t, before.Overdue)
	assert.Len(t, before.Deadlines, 1)

	after := views.TicketAt(ticket, due.Add(time.Hour))
	require.Len(t, after.Overdue, 1)
	assert.Equal(t, events.DeadlineMerchantResponse, after.Overdue[0].Kind)
	assert.Len(t, after.Deadlines, 1, "still open: it is not fired yet")
	_, upcoming := ticket.UpcomingDeadline(due.Add(time.Hour))
	assert.False(t, upcoming, "a missed deadline is never the next one")
}
