package httpapi

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections/views"
)

// The ticket and history views live in package views, shared with the CLI.
type (
	TicketView       = views.TicketView
	OfferView        = views.OfferView
	EvidenceView     = views.EvidenceView
	RulingView       = views.RulingView
	AppealView       = views.AppealView
	InterventionView = views.InterventionView
	HistoryStep      = views.HistoryStep
)

// CommandResponse is the answer to a command: what it recorded and the
// ticket after it.
type CommandResponse struct {
	TicketID  string `json:"ticket_id"`
	CommandID string `json:"command_id"`
	// Duplicate is true when the command id had been recorded before:
	// Events are the ones recorded then, and nothing new was written.
	Duplicate bool   `json:"duplicate"`
	Revision  uint64 `json:"revision"`
	// Events are the command's own recorded events in their canonical wire
	// form, hashes included, so a client can check them against the chain.
	// Overdue expiries recorded in the same append, just before them, are
	// not repeated here: Revision and Ticket include them, and the history
	// shows them.
	Events []json.RawMessage `json:"events"`
	Ticket TicketView        `json:"ticket"`
}

// HistoryResponse is a ticket's history, whole or as of a moment.
type HistoryResponse struct {
	TicketID string        `json:"ticket_id"`
	AsOf     *time.Time    `json:"as_of,omitempty"`
	Events   int           `json:"events_total"`
	Steps    []HistoryStep `json:"steps"`
}

func wireEvents(envs []events.Envelope) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, len(envs))
	for i, env := range envs {
		b, err := events.Encode(env)
		if err != nil {
			return nil, fmt.Errorf("encode %s revision %d: %w", env.Stream, env.Revision, err)
		}
		out[i] = b
	}
	return out, nil
}
