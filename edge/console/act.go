package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections/views"
)

// forms are the acting forms a page offers the principal on the ticket's
// current state. Each carries the revision the page showed (sent as the
// expected revision) and a fresh idempotency key (so a double submit
// records once).
type forms struct {
	Revision        uint64
	Rule            *termsForm
	Appeal          *termsForm
	RequestEvidence string // key, "" when not offered
	Message         string // key, "" when not offered
}

// termsForm is a ruling or an appeal decision.
type termsForm struct {
	Key          string
	Compensation int64 // the counterfeit compensation the policy gives
	Multiple     int64
	Evidence     []views.EvidenceView
}

// The commands the console's forms issue, named as the domain names them.
var (
	ruleCommand            = domain.Rule{}.CommandName()
	decideAppealCommand    = domain.DecideAppeal{}.CommandName()
	requestEvidenceCommand = domain.RequestEvidence{}.CommandName()
	postMessageCommand     = domain.PostMessage{}.CommandName()
	actCommands            = []string{ruleCommand, decideAppealCommand, requestEvidenceCommand, postMessageCommand}
)

func (c *Console) formsFor(p auth.Principal, t domain.Ticket) *forms {
	if t.Closed() {
		return nil
	}
	f := &forms{Revision: t.Revision}
	may := func(name string) bool {
		spec, ok := domain.LookupCommand(name)
		return ok && slices.Contains(spec.Roles, p.Role) && domain.Authorize(t, p.Actor(), spec.Zero) == nil
	}
	terms := func() *termsForm {
		return &termsForm{Key: newKey(), Multiple: c.cfg.Policy.CompensationMultiple,
			Compensation: t.AmountPaid * c.cfg.Policy.CompensationMultiple, Evidence: views.Ticket(t).Evidence}
	}
	if may(ruleCommand) && t.Status == domain.StatusUnderReview {
		f.Rule = terms()
	}
	if may(decideAppealCommand) && t.Status == domain.StatusUnderAppeal {
		f.Appeal = terms()
	}
	if may(requestEvidenceCommand) && t.Status == domain.StatusNegotiation {
		f.RequestEvidence = newKey()
	}
	if may(postMessageCommand) {
		f.Message = newKey()
	}
	if f.Rule == nil && f.Appeal == nil && f.RequestEvidence == "" && f.Message == "" {
		return nil
	}
	return f
}

// newKey is a fresh idempotency key (a command id) for one form.
func newKey() string { return "console-" + randomToken()[:24] }

// act is POST /console/tickets/{id}/{command}: the form becomes the
// command's JSON data, decoded and bounded by commands.DecodeCommand, and
// goes through commands.Handler exactly as the API's command route does.
func (c *Console) act(w http.ResponseWriter, r *http.Request) {
	id, name := r.PathValue("ticket_id"), r.PathValue("command")
	p := principalOf(r)
	if !slices.Contains(actCommands, name) {
		c.notFound(w, r, nil)
		return
	}
	// The party check comes first, as the API's: a non-party learns
	// nothing, not even whether its form was well made.
	t, _, ok := c.loadReadable(w, r, id)
	if !ok {
		return
	}
	rev, err := strconv.ParseUint(r.PostFormValue("revision"), 10, 64)
	if err != nil {
		c.refused(w, r, id, fmt.Errorf("%w: revision: the form does not say which revision it was filled in on", commands.ErrValidation))
		return
	}
	data, err := formData(name, r, t.AmountPaid*c.cfg.Policy.CompensationMultiple)
	if err == nil {
		var cmd domain.Command
		if cmd, err = commands.DecodeCommand(name, data); err == nil {
			req := commands.Request{CommandID: r.PostFormValue("key"), TicketID: id, Actor: p.Actor(), Command: name, ExpectedRevision: &rev}
			ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), c.cfg.CommandTimeout)
			_, err = c.cfg.Handler.Handle(ctx, req, cmd)
			cancel()
		}
	}
	if err != nil {
		c.refused(w, r, id, err)
		return
	}
	http.Redirect(w, r, Prefix+"tickets/"+id+"?done="+name, http.StatusSeeOther)
}

// refused shows the ticket as it stands now with the refusal in words.
func (c *Console) refused(w http.ResponseWriter, r *http.Request, id string, cause error) {
	cl := commands.Classify(cause)
	if cl.Kind == commands.KindNotFound {
		c.notFound(w, r, nil)
		return
	}
	if cl.Kind == commands.KindInternal {
		c.log.Error("console: command failed", "ticket_id", id, "err", cause)
	}
	t, envs, ok := c.loadReadable(w, r, id)
	if !ok {
		return
	}
	r.URL.RawQuery = "" // the refusal shows the ticket as it stands, not a replay
	body, err := c.ticketBody(r, t, envs)
	if err != nil {
		c.failed(w, r, err)
		return
	}
	ref := refusalOf(cause)
	body.Refusal = &ref
	status := http.StatusConflict
	switch {
	case ref.Stale:
		status = http.StatusPreconditionFailed
	case cl.Kind == commands.KindValidation:
		status = http.StatusUnprocessableEntity
	case cl.Kind == commands.KindForbidden:
		status = http.StatusForbidden
	case cl.Kind == commands.KindUnavailable:
		status = http.StatusServiceUnavailable
	case cl.Kind == commands.KindInternal:
		status = http.StatusInternalServerError
	}
	c.render(w, r, status, "ticket", words{"工单 " + id, "Ticket " + id}, body)
}

// formData turns a form into a command's JSON data.
func formData(name string, r *http.Request, compensation int64) (json.RawMessage, error) {
	var data any
	switch name {
	case ruleCommand:
		terms, err := termsOf(r, compensation)
		if err != nil {
			return nil, err
		}
		evidence := r.PostForm["evidence"]
		if evidence == nil {
			evidence = []string{}
		}
		data = struct {
			events.Terms
			Rationale string   `json:"rationale"`
			Evidence  []string `json:"evidence"`
		}{terms, r.PostFormValue("rationale"), evidence}
	case decideAppealCommand:
		d := map[string]any{"decision": r.PostFormValue("decision"), "rationale": r.PostFormValue("rationale")}
		if r.PostFormValue("decision") == string(events.AppealOverturned) {
			terms, err := termsOf(r, compensation)
			if err != nil {
				return nil, err
			}
			d["terms"] = terms
		}
		data = d
	case requestEvidenceCommand:
		data = map[string]string{"note": r.PostFormValue("note")}
	case postMessageCommand:
		data = map[string]string{"text": r.PostFormValue("text")}
	}
	return json.Marshal(data)
}

// termsOf reads a ruling's terms; a counterfeit ruling carries the
// compensation the policy gives, which the form shows.
func termsOf(r *http.Request, compensation int64) (events.Terms, error) {
	refund, err := parseYuan(r.PostFormValue("refund"))
	if err != nil {
		return events.Terms{}, fmt.Errorf("%w: refund: %v", commands.ErrValidation, err)
	}
	t := events.Terms{Outcome: events.Outcome(r.PostFormValue("outcome")), Liability: events.Liability(r.PostFormValue("liability")),
		Refund: refund, Counterfeit: r.PostFormValue("counterfeit") == "on"}
	if t.Counterfeit {
		t.Compensation = compensation
	}
	return t, nil
}

// parseYuan reads an amount in yuan ("12", "12.5", "12.50") as fen,
// exactly: no float ever holds money.
func parseYuan(s string) (int64, error) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "¥"))
	if s == "" {
		return 0, nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" || len(whole) > 12 {
		return 0, errors.New("give yuan with at most two decimals, e.g. 12.50")
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	return w*100 + f, nil
}
