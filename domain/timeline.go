package domain

import (
	"time"

	"github.com/disputes-ledger/disputes/events"
)

// Step is one event of a ticket's history with the state right after it.
type Step struct {
	Event events.Envelope
	State Ticket
}

// Timeline folds envs step by step. With asOf set, it stops at the last
// event that occurred at or before asOf: the ticket as it stood then.
func Timeline(envs []events.Envelope, asOf *time.Time) []Step {
	steps := make([]Step, 0, len(envs))
	var t Ticket
	for _, env := range envs {
		if asOf != nil && env.OccurredAt.After(*asOf) {
			break
		}
		t = t.Apply(env)
		steps = append(steps, Step{Event: env, State: t})
	}
	return steps
}
