package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections"
	"github.com/disputes-ledger/disputes/projections/views"
)

// queryFunc answers a read; an error becomes a problem.
type queryFunc func(w http.ResponseWriter, r *http.Request) error

// query bounds a read's time and turns its error into a problem.
func (s *Server) query(f queryFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.QueryTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		if id := r.PathValue("ticket_id"); id != "" {
			infoOf(ctx).ticketID = id
		}
		if err := f(w, r); err != nil {
			writeProblem(w, r, err)
		}
	})
}

var errNoReadModel = &apiError{status: http.StatusServiceUnavailable, code: "read_model_unavailable",
	detail: "this server runs without the projections this query needs"}

// readModelFailure is a read of the read models that failed — their
// database out of reach, or not prepared yet by the projector: the client
// gets 503 read_model_unavailable with Retry-After (the read models heal
// by themselves), the cause goes to the server log.
type readModelFailure struct{ cause error }

func (e *readModelFailure) Error() string { return "read models: " + e.cause.Error() }
func (e *readModelFailure) Unwrap() error { return e.cause }

// readFailed wraps err, a read model's failure, unless the request itself
// ended (cancelled or timed out).
func readFailed(ctx context.Context, err error) error {
	if err == nil || ctx.Err() != nil {
		return err
	}
	return &readModelFailure{cause: err}
}

func ticketNotFound(id string) error {
	return notFound("ticket_not_found", "ticket "+id+" does not exist")
}

// loadReadable loads a ticket from its stream and checks the principal may
// read it.
func (s *Server) loadReadable(r *http.Request) (domain.Ticket, []events.Envelope, error) {
	id := r.PathValue("ticket_id")
	t, envs, err := commands.LoadTicket(r.Context(), s.store, id)
	if err != nil {
		return domain.Ticket{}, nil, err
	}
	if !t.Exists() {
		return domain.Ticket{}, nil, ticketNotFound(id)
	}
	if !mayRead(principalOf(r), owners{buyer: t.BuyerID, merchant: t.MerchantID}) {
		return domain.Ticket{}, nil, errNotYours(id)
	}
	return t, envs, nil
}

// getTicket is GET /v1/tickets/{ticket_id}.
func (s *Server) getTicket(w http.ResponseWriter, r *http.Request) error {
	t, _, err := s.loadReadable(r)
	if err != nil {
		return err
	}
	tag := etag(t.Revision)
	w.Header().Set("ETag", tag)
	if r.Header.Get("If-None-Match") == tag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	// The ETag names the revision; overdue_deadlines also depend on the
	// clock, and a deadline past due is in any case one whose due time the
	// client already holds.
	writeJSON(w, http.StatusOK, views.TicketAt(t, s.cfg.Now()))
	return nil
}

// getHistory is GET /v1/tickets/{ticket_id}/history.
func (s *Server) getHistory(w http.ResponseWriter, r *http.Request) error {
	asOf, err := timeParam(r, "as_of")
	if err != nil {
		return err
	}
	_, envs, err := s.loadReadable(r)
	if err != nil {
		return err
	}
	var at *time.Time
	if !asOf.IsZero() {
		at = &asOf
	}
	steps := domain.Timeline(envs, at)
	hist, err := views.History(steps)
	if err != nil {
		return err
	}
	out := HistoryResponse{TicketID: r.PathValue("ticket_id"), AsOf: at, Events: len(envs), Steps: hist}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// AuditResponse is a ticket's audit trail.
type AuditResponse struct {
	TicketID string       `json:"ticket_id"`
	Entries  []AuditEntry `json:"entries"`
	// NextCursor fetches the next page; absent on the last one.
	NextCursor string `json:"next_cursor,omitempty"`
	// HasMore is true when there is a next page (NextCursor is set).
	HasMore bool `json:"has_more"`
}

// getAuditTrail is GET /v1/tickets/{ticket_id}/audit.
func (s *Server) getAuditTrail(w http.ResponseWriter, r *http.Request) error {
	if s.reads == nil {
		return errNoReadModel
	}
	id := r.PathValue("ticket_id")
	o, ok, err := ticketOwners(r.Context(), s.store, id)
	if err != nil {
		return err
	}
	if !ok {
		return ticketNotFound(id)
	}
	if !mayRead(principalOf(r), o) {
		return errNotYours(id)
	}
	limit, err := intParam(r, "limit", DefaultPageSize, 1, MaxPageSize)
	if err != nil {
		return err
	}
	var after uint64
	if c := r.URL.Query().Get("cursor"); c != "" {
		if after, err = projections.ParseAuditCursor(c); err != nil {
			return badCursor()
		}
	}
	page, err := s.reads.AuditTrail(r.Context(), projections.AuditFilter{TicketID: id, AfterPosition: after, Limit: limit})
	if err != nil {
		return readFailed(r.Context(), err)
	}
	out := AuditResponse{TicketID: id, Entries: page.Entries, HasMore: page.HasMore}
	if out.Entries == nil {
		out.Entries = []AuditEntry{}
	}
	if page.HasMore {
		out.NextCursor = projections.AuditCursor(out.Entries[len(out.Entries)-1].Position)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// TicketList is a page of tickets.
type TicketList struct {
	Items []TicketSummary `json:"items"`
	// NextCursor fetches the next page; absent on the last one.
	NextCursor string `json:"next_cursor,omitempty"`
	// HasMore is true when there is a next page (NextCursor is set).
	HasMore bool `json:"has_more"`
}

// listTickets is GET /v1/tickets.
func (s *Server) listTickets(w http.ResponseWriter, r *http.Request) error {
	if s.reads == nil {
		return errNoReadModel
	}
	q := r.URL.Query()
	f := projections.TicketFilter{BuyerID: q.Get("buyer_id"), MerchantID: q.Get("merchant_id"), Now: s.cfg.Now()}
	var err error
	if f.Status, err = enumParam(r, "status"); err != nil {
		return err
	}
	if f.Kind, err = enumParam(r, "kind"); err != nil {
		return err
	}
	for _, tp := range []struct {
		name string
		dst  *time.Time
	}{{"opened_from", &f.OpenedFrom}, {"opened_to", &f.OpenedTo}, {"deadline_before", &f.DeadlineBefore}} {
		if *tp.dst, err = timeParam(r, tp.name); err != nil {
			return err
		}
	}
	if f.Limit, err = intParam(r, "limit", DefaultPageSize, 1, MaxPageSize); err != nil {
		return err
	}
	if c := q.Get("cursor"); c != "" {
		if f.After, err = projections.ParseTicketCursor(c); err != nil {
			return badCursor()
		}
	}
	// A party filtering on another party's id gets the empty page a filter
	// on an id with no tickets gets: the answer must not tell the two apart.
	othersOnly := ScopeTicketFilter(principalOf(r), &f)
	var page projections.TicketPage
	if !othersOnly {
		if page, err = s.reads.Tickets(r.Context(), f); err != nil {
			return readFailed(r.Context(), err)
		}
	}
	out := TicketList{Items: page.Items, HasMore: page.HasMore}
	if out.Items == nil {
		out.Items = []TicketSummary{}
	}
	if page.Next != nil {
		out.NextCursor = page.Next.String()
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// ScoreList is merchants' penalty scores.
type ScoreList struct {
	WindowEnd time.Time       `json:"window_end"`
	Items     []MerchantScore `json:"items"`
}

// listScores is GET /v1/merchants/scores.
func (s *Server) listScores(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r)
	only := ""
	switch {
	case p.Role == events.RoleMerchant:
		only = p.ID
	case !readsAll(p):
		return forbidden("role_not_allowed", string(p.Role)+" may not read merchant scores")
	}
	return s.writeScores(w, r, only)
}

// getScore is GET /v1/merchants/{merchant_id}/score.
func (s *Server) getScore(w http.ResponseWriter, r *http.Request) error {
	p, id := principalOf(r), r.PathValue("merchant_id")
	switch {
	case p.Role == events.RoleMerchant && p.ID != id:
		// Another merchant's score is answered as an unknown merchant's.
		return merchantNotFound(id)
	case !readsAll(p) && p.Role != events.RoleMerchant:
		return forbidden("role_not_allowed", string(p.Role)+" may not read merchant scores")
	}
	return s.writeScores(w, r, id)
}

func (s *Server) writeScores(w http.ResponseWriter, r *http.Request, merchantID string) error {
	if s.reads == nil {
		return errNoReadModel
	}
	at, err := timeParam(r, "as_of")
	if err != nil {
		return err
	}
	if at.IsZero() {
		at = s.cfg.Now()
	}
	scores, err := s.reads.Scores(r.Context(), projections.ScoreFilter{WindowEnd: at, MerchantID: merchantID})
	if err != nil {
		return readFailed(r.Context(), err)
	}
	if r.PathValue("merchant_id") != "" {
		if len(scores) == 0 {
			return merchantNotFound(merchantID)
		}
		writeJSON(w, http.StatusOK, scores[0])
		return nil
	}
	writeJSON(w, http.StatusOK, ScoreList{WindowEnd: at.UTC(), Items: scores})
	return nil
}

func merchantNotFound(id string) error {
	return notFound("merchant_not_found", "no tickets or penalties for merchant "+id+" in the window")
}

// Me is who a token stands for.
type Me struct {
	Role events.Role `json:"role"`
	ID   string      `json:"id"`
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	writeJSON(w, http.StatusOK, Me{Role: p.Role, ID: p.ID})
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func timeParam(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, badRequest(name, "must be an RFC 3339 time, e.g. 2026-11-02T10:00:00+08:00")
	}
	return t, nil
}

func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badRequest(name, "must be an integer from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
	}
	return n, nil
}

func badCursor() error {
	return badRequest("cursor", "not a cursor this API gave out")
}
