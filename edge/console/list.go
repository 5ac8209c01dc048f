package console

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections"
)

// queueStatuses are the stages in which a ticket waits for the platform.
var queueStatuses = []domain.Status{domain.StatusNegotiation, domain.StatusAwaitingEvidence, domain.StatusUnderReview, domain.StatusUnderAppeal}

const (
	listPageSize = 25
	// maxListed bounds the tickets one list reads from the read model to
	// sort by deadline; beyond it the page says the list was cut.
	maxListed = 5000
)

// listBody is the queue's (or a party's ticket list's) body.
type listBody struct {
	Queue    bool // the platform's work queue, not a party's own list
	Filter   listFilter
	Rows     []listRow
	Total    int
	Cut      bool
	Page     int
	Pages    int
	PrevURL  string
	NextURL  string
	NoReads  bool
	Position uint64 // the read model's position the rows were read at
}

type listFilter struct {
	Status   string
	Merchant string
	Kind     string
	Reason   string
}

// listRow is one ticket in a list.
type listRow struct {
	projections.TicketSummary
	StatusWords words
	Deadline    *deadlineView
	SLABreached bool
}

// deadlineView is an open deadline and the time left to it.
type deadlineView struct {
	Kind    events.DeadlineKind
	DueAt   time.Time
	Left    string // "3h 20m", "2h 10m working", or "overdue 1h"
	Overdue bool
	Working bool
}

func (c *Console) deadlineAt(kind events.DeadlineKind, due, now time.Time) *deadlineView {
	d := &deadlineView{Kind: kind, DueAt: due, Working: c.cfg.Policy.CountsWorkingTime(kind)}
	left := due.Sub(now)
	if d.Working {
		left = c.cfg.Policy.BusinessCalendar().WorkingTimeBetween(now, due)
	}
	if !due.After(now) {
		d.Overdue = true
		d.Left = "overdue " + humanDuration(now.Sub(due))
		return d
	}
	d.Left = humanDuration(left)
	if d.Working {
		d.Left += " working"
	}
	return d
}

func humanDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return strconv.Itoa(days) + "d " + strconv.Itoa(hours) + "h"
	case hours > 0:
		return strconv.Itoa(hours) + "h " + strconv.Itoa(mins) + "m"
	}
	return strconv.Itoa(mins) + "m"
}

// isPlatform reports whether p works the queue.
func isPlatform(p auth.Principal) bool {
	switch p.Role {
	case events.RoleAgent, events.RoleArbitrator, events.RoleSeniorArbitrator:
		return true
	}
	return false
}

// list is GET /console/: the work queue for the platform, every ticket for
// auditors, a party's own tickets for buyers and merchants, sorted by the
// earliest open deadline. With fragment=1 it answers only the rows, for
// the live refresh, after waiting (briefly) for the read model to reach
// the event that prompted it.
func (c *Console) list(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	q := r.URL.Query()
	body := listBody{Queue: isPlatform(p), Filter: listFilter{Status: q.Get("status"), Merchant: q.Get("merchant"), Kind: q.Get("kind"), Reason: q.Get("reason")}}
	body.Page, _ = strconv.Atoi(q.Get("page"))
	body.Page = max(body.Page, 1)
	title := words{"我的工单", "My tickets"}
	switch {
	case body.Queue:
		title = words{"工作队列", "Work queue"}
	case p.Role == events.RoleAuditor:
		title = words{"全部工单", "All tickets"}
	}
	fragment := q.Get("fragment") == "1"
	if c.cfg.Reads == nil {
		body.NoReads = true
		c.render(w, r, http.StatusOK, "list", title, body)
		return
	}
	if after, err := strconv.ParseUint(q.Get("after"), 10, 64); err == nil && fragment {
		c.waitProjected(r.Context(), after)
	}
	// The live refresh starts after what the read model had applied before
	// the rows were read: nothing recorded since is missed.
	if cps, err := c.cfg.Reads.Checkpoints(r.Context()); err == nil && len(cps) > 0 {
		body.Position = slices.Min(mapValues(cps))
	}
	rows, cut, err := c.readList(r.Context(), p, body.Queue, body.Filter)
	if err != nil {
		c.failed(w, r, err)
		return
	}
	body.Total, body.Cut = len(rows), cut
	body.Pages = max(1, (len(rows)+listPageSize-1)/listPageSize)
	body.Page = min(body.Page, body.Pages)
	from := (body.Page - 1) * listPageSize
	rows = rows[from:min(from+listPageSize, len(rows))]
	now := c.cfg.Now()
	for _, s := range rows {
		row := listRow{TicketSummary: s, StatusWords: wordsOf(statusWords, domain.Status(s.Status))}
		if s.NextDeadlineAt != nil {
			row.Deadline = c.deadlineAt(events.DeadlineKind(s.NextDeadline), *s.NextDeadlineAt, now)
		}
		// The SLA badge reads the ticket itself: the list row does not keep it.
		if body.Queue {
			if t, _, err := commands.LoadTicket(r.Context(), c.cfg.Store, s.TicketID); err == nil {
				row.SLABreached = t.SLABreached
			}
		}
		body.Rows = append(body.Rows, row)
	}
	body.PrevURL, body.NextURL = pageURL(q, body.Page-1, body.Pages), pageURL(q, body.Page+1, body.Pages)
	if fragment {
		c.renderTemplate(w, r, http.StatusOK, "list", "rows", title, body)
		return
	}
	c.render(w, r, http.StatusOK, "list", title, body)
}

func pageURL(q url.Values, n, pages int) string {
	if n < 1 || n > pages {
		return ""
	}
	v := url.Values{}
	for k, vs := range q {
		if k != "fragment" && k != "after" && k != "page" && len(vs) > 0 && vs[0] != "" {
			v.Set(k, vs[0])
		}
	}
	v.Set("page", strconv.Itoa(n))
	return Prefix + "?" + v.Encode()
}

// readList reads the tickets p may list that match f from the read model,
// scoped exactly as the API scopes GET /v1/tickets, sorted by the earliest
// open deadline (tickets without one last, newest first).
func (c *Console) readList(ctx context.Context, p auth.Principal, queue bool, f listFilter) ([]projections.TicketSummary, bool, error) {
	// The queue is the stages waiting for the platform; a status filter
	// shows that status instead, any of them.
	statuses := []string{f.Status}
	if queue && f.Status == "" {
		statuses = statuses[:0]
		for _, s := range queueStatuses {
			statuses = append(statuses, string(s))
		}
	}
	var out []projections.TicketSummary
	cut := false
	for _, st := range statuses {
		tf := projections.TicketFilter{Status: st, MerchantID: f.Merchant, Kind: f.Kind, Now: c.cfg.Now(), Limit: maxListed + 1}
		if httpapi.ScopeTicketFilter(p, &tf) {
			return nil, false, nil
		}
		page, err := c.cfg.Reads.Tickets(ctx, tf)
		if err != nil {
			return nil, false, err
		}
		cut = cut || page.HasMore
		for _, it := range page.Items {
			if f.Reason == "" || it.Reason == f.Reason {
				out = append(out, it)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b projections.TicketSummary) int {
		switch {
		case a.NextDeadlineAt != nil && b.NextDeadlineAt != nil:
			if n := a.NextDeadlineAt.Compare(*b.NextDeadlineAt); n != 0 {
				return n
			}
		case a.NextDeadlineAt != nil:
			return -1
		case b.NextDeadlineAt != nil:
			return 1
		}
		return cmp.Or(b.OpenedAt.Compare(a.OpenedAt), cmp.Compare(a.TicketID, b.TicketID))
	})
	return out, cut, nil
}

// waitProjected waits until the read model has applied the log up to pos,
// or a little while has passed: a live refresh prompted by event pos then
// shows it.
func (c *Console) waitProjected(ctx context.Context, pos uint64) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	for {
		cps, err := c.cfg.Reads.Checkpoints(ctx)
		if err == nil && len(cps) > 0 && slices.Min(mapValues(cps)) >= pos {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func mapValues(m map[string]uint64) []uint64 {
	out := make([]uint64, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
