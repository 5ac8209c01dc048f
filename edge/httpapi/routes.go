package httpapi

import (
	"net/http"
	"slices"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// route is one registered route and what the OpenAPI document says of it.
type route struct {
	method, path string
	public       bool // no token needed
	op, summary  string
	params       []param
	command      string // for command routes: the command's name
	handler      http.Handler
}

// param is a query parameter of a route, for the OpenAPI document.
type param struct {
	name, typ, format, description string
}

// CommandPath returns the route of a command on a ticket.
func CommandPath(command string) string { return "/v1/tickets/{ticket_id}/commands/" + command }

// APICommands returns the commands the API offers: every command some
// role a token can carry may issue. expire_deadline, the scheduler's, is
// not among them.
func APICommands() []string {
	var out []string
	for _, spec := range apiCommands() {
		out = append(out, spec.Name())
	}
	return out
}

// apiCommands returns the registrations of the commands the API offers, in
// registry order.
func apiCommands() []domain.CommandSpec {
	var out []domain.CommandSpec
	for _, spec := range domain.Registry() {
		if slices.ContainsFunc(spec.Roles, func(r events.Role) bool { return r != events.RoleSystem }) {
			out = append(out, spec)
		}
	}
	return out
}

func (s *Server) routeTable() []route {
	listParams := []param{
		{"status", "string", "", "ticket status, e.g. awaiting_merchant"},
		{"buyer_id", "string", "", "buyer (buyers may only give their own id)"},
		{"merchant_id", "string", "", "merchant (merchants may only give their own id)"},
		{"kind", "string", "", "refund_only, return_refund or exchange"},
		{"opened_from", "string", "date-time", "opened at or after (RFC 3339)"},
		{"opened_to", "string", "date-time", "opened before (RFC 3339)"},
		{"deadline_before", "string", "date-time", "next open deadline due at or before (RFC 3339)"},
		{"limit", "integer", "", "page size, 1 to 500, default 50"},
		{"cursor", "string", "", "next_cursor of the previous page"},
	}
	asOf := param{"as_of", "string", "date-time", "the moment to show (RFC 3339); default now"}
	rs := []route{
		{method: "GET", path: "/healthz", public: true, op: "healthz", summary: "Liveness: the process serves HTTP.", handler: http.HandlerFunc(s.healthz)},
		{method: "GET", path: "/readyz", public: true, op: "readyz", summary: "Readiness: the ledger and every background component; each one's name and state only (details on the operators' listener).", handler: http.HandlerFunc(s.readyz)},
		{method: "GET", path: "/openapi.json", public: true, op: "openapi", summary: "This document.", handler: http.HandlerFunc(serveOpenAPI)},
		{method: "GET", path: "/metrics", op: "metrics", summary: "Prometheus text-format metrics: auditors only on this listener (operators scrape the separate --metrics-addr listener); any other role is 403.", handler: http.HandlerFunc(s.serveMetrics)},
		{method: "GET", path: "/v1/checkpoint", public: true, op: "getCheckpoint", summary: "The latest signed checkpoint of the global log (C2SP tlog-checkpoint, text/plain), public for witnesses and monitors; 404 before the first seal or without a signing key.", handler: http.HandlerFunc(s.checkpoint)},
		{method: "GET", path: "/v1/me", op: "whoAmI", summary: "The principal the token stands for.", handler: http.HandlerFunc(s.me)},
		{method: "GET", path: "/v1/tickets", op: "listTickets", summary: "Tickets from the ticket-status projection, filtered, in opening order, cursor-paginated. Buyers and merchants see only their own.", params: listParams, handler: s.query(s.listTickets)},
		{method: "GET", path: "/v1/tickets/{ticket_id}", op: "getTicket", summary: "A ticket's current state, folded from its stream (never stale). ETag is the revision.", handler: s.query(s.getTicket)},
		{method: "GET", path: "/v1/tickets/{ticket_id}/history", op: "getHistory", summary: "Every event of a ticket with the state after it; with as_of, the ticket as it stood then.", params: []param{{"as_of", "string", "date-time", "show the ticket as of this moment (RFC 3339)"}}, handler: s.query(s.getHistory)},
		{method: "GET", path: "/v1/tickets/{ticket_id}/audit", op: "getAuditTrail", summary: "A ticket's audit trail from the audit-trail projection, in revision order, cursor-paginated.", params: []param{
			{"limit", "integer", "", "page size, 1 to 500, default 50"},
			{"cursor", "string", "", "next_cursor of the previous page"},
		}, handler: s.query(s.getAuditTrail)},
		{method: "GET", path: "/v1/merchants/scores", op: "listScores", summary: "Merchant penalty scores, most penalised first (merchants see only their own).", params: []param{asOf}, handler: s.query(s.listScores)},
		{method: "GET", path: "/v1/merchants/{merchant_id}/score", op: "getScore", summary: "One merchant's penalty score.", params: []param{asOf}, handler: s.query(s.getScore)},
		{method: "GET", path: "/v1/events", op: "streamEvents", summary: "Server-Sent Events: every event after a global position, then live. Each event's id is its position; data is its canonical wire form. Buyers and merchants receive only their tickets' events. One principal holds at most MaxStreamsPerPrincipal streams (429 beyond), the server MaxStreams (503 beyond).", params: []param{
			{"after", "integer", "", "global position to start after (Last-Event-ID takes precedence); default 0"},
			{"ticket_id", "string", "", "only this ticket's events"},
		}, handler: http.HandlerFunc(s.streamEvents)},
	}
	for _, spec := range apiCommands() {
		name := spec.Name()
		rs = append(rs, route{method: "POST", path: CommandPath(name), op: name, command: name,
			summary: spec.Summary, handler: s.command(name)})
	}
	return rs
}
