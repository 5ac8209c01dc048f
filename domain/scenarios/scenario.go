package scenarios

import (
	"time"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// Step is one command of a scenario.
type Step struct {
	// At is the step's offset from the scenario's Start. Steps are in
	// non-decreasing order of At.
	At time.Duration
	// Actor is who issues the command; deadline expiries are issued by
	// events.SystemActor().
	Actor events.Actor
	// Command is what the actor asks for.
	Command domain.Command
	// Note says, for a human reader, what the step stands for.
	Note string
}

// Scenario is the scripted history of one ticket.
type Scenario struct {
	// Name is a stable identifier, unique among scenarios, usable as a file name.
	Name string
	// Title is a one-line human description.
	Title string
	// TicketID is the ticket the first step opens.
	TicketID string
	// Start is the time of offset zero.
	Start time.Time
	// Steps are the commands, in the order they are to be issued.
	Steps []Step
}

// TimeOf returns the absolute time of step i.
func (s Scenario) TimeOf(i int) time.Time { return s.Start.Add(s.Steps[i].At) }

// End returns the time of the last step, or Start for a scenario without steps.
func (s Scenario) End() time.Time {
	if len(s.Steps) == 0 {
		return s.Start
	}
	return s.TimeOf(len(s.Steps) - 1)
}
