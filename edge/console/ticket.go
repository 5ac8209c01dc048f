package console

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections"
	"github.com/disputes-ledger/disputes/projections/views"
)

// ticketBody is the ticket page's body.
type ticketBody struct {
	View views.TicketView
	// Replay is true when the page shows an earlier revision than the last.
	Replay   bool
	Shown    uint64 // the revision shown
	HasPrev  bool
	PrevRev  uint64
	NextRev  uint64
	Last     uint64 // the ticket's last revision
	ShownAt  time.Time
	AsOf     string // the moment asked for, as the picker shows it
	Steps    []timelineRow
	Messages []messageRow
	Open     []*deadlineView
	Past     []pastDeadline
	Evidence []views.EvidenceView
	Forms    *forms
	Refusal  *refusal
	Done     string
	Audit    bool // the principal may open the auditor page
	Merchant bool // the principal may open the merchant page
	Live     bool
	Head     uint64 // the log's position the live refresh starts after
}

// timelineRow is one event of the timeline.
type timelineRow struct {
	Rev         uint64
	EventID     string
	Hash        string
	PrevHash    string
	Type        string
	Summary     string
	EffectiveAt time.Time
	OccurredAt  time.Time
	Late        bool // recorded after it took effect (an expiry fired late)
	Actor       events.Actor
	ActorRole   words
	Cause       string
	Policy      string
	Future      bool // after the revision shown
	Penalties   []projections.PenaltyFactRow
}

// messageRow is a message posted on the ticket.
type messageRow struct {
	Rev   uint64
	At    time.Time
	Party words
	By    string
	Text  string
	Vague bool
	Words []string
}

// pastDeadline is a deadline that was open and is no longer: met (the
// ticket moved on) or expired.
type pastDeadline struct {
	Kind      events.DeadlineKind
	DueAt     time.Time
	ClosedAt  time.Time
	ClosedRev uint64
	Expired   bool
}

// loadReadable loads a ticket from its stream and applies the API's read
// scoping. When ok is false it has answered already: a failure, or not found
// alike for a ticket that does not exist and one the principal may not read.
func (c *Console) loadReadable(w http.ResponseWriter, r *http.Request, id string) (domain.Ticket, []events.Envelope, bool) {
	t, envs, err := commands.LoadTicket(r.Context(), c.cfg.Store, id)
	if err != nil {
		c.failed(w, r, err)
		return domain.Ticket{}, nil, false
	}
	if !t.Exists() || !httpapi.MayRead(principalOf(r), t.BuyerID, t.MerchantID) {
		c.notFound(w, r, nil)
		return domain.Ticket{}, nil, false
	}
	return t, envs, true
}

// ticket is GET /console/tickets/{id}: the state (now, or replayed to
// ?rev=N or ?at=moment) and the timeline.
func (c *Console) ticket(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("ticket_id")
	// The log's head before the ticket is read: the live refresh starts
	// there, so no event recorded after the read is missed.
	head, err := projections.Head(r.Context(), c.cfg.Store)
	if err != nil {
		c.failed(w, r, err)
		return
	}
	t, envs, ok := c.loadReadable(w, r, id)
	if !ok {
		return
	}
	body, err := c.ticketBody(r, t, envs)
	if body != nil {
		body.Head = head
	}
	if err != nil {
		c.failed(w, r, err)
		return
	}
	body.Done = doneWords(r.URL.Query().Get("done"))
	c.render(w, r, http.StatusOK, "ticket", words{"工单 " + id, "Ticket " + id}, body)
}

// ticketBody builds the page of t; with ?rev or ?at it shows the ticket
// as it stood then (domain.Timeline, as `history --as-of` does).
func (c *Console) ticketBody(r *http.Request, t domain.Ticket, envs []events.Envelope) (*ticketBody, error) {
	p := principalOf(r)
	q := r.URL.Query()
	now := c.cfg.Now()
	steps := domain.Timeline(envs, nil)
	shown := len(steps) - 1
	body := &ticketBody{Last: t.Revision, Live: c.cfg.Events != nil,
		Audit: httpapi.ReadsAll(p), Merchant: httpapi.ReadsAll(p) || p.Role == events.RoleMerchant}
	if v := q.Get("rev"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			shown = max(0, min(n, len(steps)-1))
		}
	} else if v := q.Get("at"); v != "" {
		if at, err := time.ParseInLocation("2006-01-02T15:04", v, shanghai); err == nil {
			body.AsOf = v
			asOf := at.Add(59 * time.Second)
			shown = len(domain.Timeline(envs, &asOf)) - 1
		}
	}
	if shown < 0 {
		// A moment before the ticket was opened shows its first revision.
		shown = 0
	}
	st := steps[shown]
	body.Replay = shown < len(steps)-1
	body.Shown, body.ShownAt = st.Event.Revision, st.EffectiveAt
	if shown > 0 {
		body.HasPrev, body.PrevRev = true, steps[shown-1].Event.Revision
	}
	if body.Replay {
		body.NextRev = steps[shown+1].Event.Revision
	}
	at := now
	if body.Replay {
		at = st.EffectiveAt
	}
	body.View = views.TicketAt(st.State, at)
	body.Evidence = body.View.Evidence
	for _, d := range st.State.OpenDeadlines() {
		body.Open = append(body.Open, c.deadlineAt(d.Kind, d.DueAt, at))
	}
	// The points come from a read model, which may lag or be starting: the
	// page, read from the ledger, does not wait for it.
	facts, err := c.penaltyFacts(r, t.ID)
	if err != nil {
		c.log.Warn("console: penalty facts unavailable", "ticket_id", t.ID, "err", err)
	}
	var cause string
	for i, s := range steps {
		env := s.Event
		row := timelineRow{Rev: env.Revision, EventID: env.ID.String(), Hash: env.Hash, PrevHash: env.PrevHash, Type: env.Type,
			Summary: events.Summary(env), EffectiveAt: s.EffectiveAt, OccurredAt: env.OccurredAt, Actor: env.Actor,
			ActorRole: wordsOf(roleWords, env.Actor.Role), Future: i > shown}
		row.Late = env.OccurredAt.Sub(s.EffectiveAt) > time.Second
		row.Penalties = facts[env.Revision]
		if st, ok := events.PolicyStampOf(env.Payload); ok {
			row.Policy = st.Version
		}
		// An expiry, and what its command recorded after it, were caused
		// by the deadline; anything else by the actor's command.
		if ex, isExpiry := env.Payload.(events.DeadlineExpired); isExpiry {
			cause = env.CommandID
			row.Cause = "deadline " + string(ex.Deadline) + " · " + wordsOf(deadlineWords, ex.Deadline).Zh + "时限到期"
		} else if env.CommandID == cause && cause != "" {
			row.Cause = "caused by the expiry above · 由上述时限到期引起"
		} else {
			row.Cause = "command " + commandName(env.CommandID)
		}
		body.Steps = append(body.Steps, row)
		if i <= shown {
			if m, isMsg := env.Payload.(events.MessagePosted); isMsg {
				body.Messages = append(body.Messages, messageRow{Rev: env.Revision, At: s.EffectiveAt, Party: wordsOf(roleWords, m.Party),
					By: env.Actor.ID, Text: m.Text, Vague: m.VagueDeadline, Words: m.VagueWords})
			}
			if i > 0 {
				body.Past = append(body.Past, closedDeadlines(steps[i-1].State, s)...)
			}
		}
	}
	slices.Reverse(body.Steps) // newest first
	if !body.Replay {
		body.Forms = c.formsFor(p, t)
	}
	return body, nil
}

// closedDeadlines are the deadlines open before step s and not after it.
func closedDeadlines(before domain.Ticket, s domain.Step) []pastDeadline {
	var out []pastDeadline
	expired := ""
	if ex, ok := s.Event.Payload.(events.DeadlineExpired); ok {
		expired = string(ex.Deadline)
	}
	for _, d := range before.OpenDeadlines() {
		if due, open := s.State.Deadlines[d.Kind]; open && due.Equal(d.DueAt) {
			continue
		}
		out = append(out, pastDeadline{Kind: d.Kind, DueAt: d.DueAt, ClosedAt: s.EffectiveAt, ClosedRev: s.Event.Revision,
			Expired: expired == string(d.Kind)})
	}
	return out
}

// commandName shortens a command id for the timeline.
func commandName(id string) string {
	if len(id) > 24 {
		return id[:24] + "…"
	}
	return id
}

// doneWords confirms a recorded form.
func doneWords(command string) string {
	if command == "" {
		return ""
	}
	if _, ok := domain.LookupCommand(command); !ok {
		return ""
	}
	return strings.ReplaceAll(command, "_", " ")
}

// penaltyReader is the read model's answer to which points each event of a
// ticket earned its merchant; projections.Reads gives it.
type penaltyReader interface {
	PenaltyFacts(ctx context.Context, ticketID string) ([]projections.PenaltyFactRow, error)
}

// penaltyFacts returns a ticket's penalty facts by revision; none when the
// read model does not answer them.
func (c *Console) penaltyFacts(r *http.Request, id string) (map[uint64][]projections.PenaltyFactRow, error) {
	pr, ok := c.cfg.Reads.(penaltyReader)
	if !ok {
		return nil, nil
	}
	rows, err := pr.PenaltyFacts(r.Context(), id)
	if err != nil {
		return nil, err
	}
	out := map[uint64][]projections.PenaltyFactRow{}
	for _, f := range rows {
		out[f.Revision] = append(out[f.Revision], f)
	}
	return out, nil
}
