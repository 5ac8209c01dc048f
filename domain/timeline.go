package domain

import (
	"time"

	"github.com/disputes-ledger/disputes/events"
)

// Step is one event of a ticket's history with the state right after it.
type Step struct {
	Event events.Envelope
	// EffectiveAt is when the event took effect: its recording time, or for
	// an expiry and what it caused, the deadline's due time.
	EffectiveAt time.Time
	State       Ticket
}

// Timeline folds envs step by step. With asOf set, it stops before the first
// event that took effect after asOf: the ticket as it stood then. An expiry
// fired late is placed at its due time, so a moment between its due time and
// its recording already shows it applied.
//
// Effective times run forward along a stream, because the command path fires
// every overdue deadline before it decides anything else; should a stream
// break that (clocks of two writers apart), the state as of a moment is
// still a prefix of the stream, never a reordering of it.
func Timeline(envs []events.Envelope, asOf *time.Time) []Step {
	steps := make([]Step, 0, len(envs))
	var t Ticket
	for _, env := range envs {
		at := t.EffectiveAt(env)
		if asOf != nil && at.After(*asOf) {
			break
		}
		t = t.Apply(env)
		steps = append(steps, Step{Event: env, EffectiveAt: at, State: t})
	}
	return steps
}
