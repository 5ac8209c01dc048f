// Package httpapi is the ledger as a service: a JSON API over HTTP for a
// marketplace's own systems, its agents and arbitrators, and its auditors.
//
//   - Commands: POST /v1/tickets/{ticket_id}/commands/{command}, one route
//     per command. The command id comes from the Idempotency-Key header (or
//     command_id in the body) and makes retries safe; If-Match makes the
//     command conditional on the ticket's revision. The answer holds the
//     recorded events and the ticket after them, from the command's own
//     result: a client reads its own write even while the projections lag.
//   - Queries: a ticket's state and history (as of any moment) from its
//     stream; ticket lists, audit trails and merchant scores from the
//     projections (ReadModel); a live stream of events as Server-Sent
//     Events from any global position.
//   - Every /v1 route but the public /v1/checkpoint, and /metrics, need a
//     bearer token (package auth); the principal is the actor. What it may
//     do is the domain's permission table and ownership rule; reads are
//     scoped the same way.
//   - Errors are RFC 9457 problems with stable codes, mapped in one place
//     (problem.go) from the write path's classification (commands.Classify).
//   - Operations: /healthz, /readyz (status and each component's state),
//     /metrics (Prometheus text format), /openapi.json (generated from the
//     route table, checked by a test); the operators' listener
//     (OperatorHandler) serves /metrics, /readyz with every detail and the
//     runtime's profiles under /debug/pprof/.
//   - Every request gets an X-Request-Id (the caller's when short and
//     plain, else a made one) and one access-log line: the id, method,
//     route, path, status, bytes and latency, the principal authenticate
//     found, the command and ticket ids, and the problem of a refusal.
package httpapi
