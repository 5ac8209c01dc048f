package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/edge/auth"
)

// Problem is an RFC 9457 problem details object. Type is a stable URN,
// "urn:disputes:problem:<code>", and Code repeats the code on its own so
// clients can switch on it without parsing.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	Code      string `json:"code"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// ProblemTypePrefix begins every problem type.
const ProblemTypePrefix = "urn:disputes:problem:"

// apiError is an error the HTTP layer itself raises (bad header, bad query,
// body too large, no such route): it carries its status and code.
type apiError struct {
	status int
	code   string
	field  string
	detail string
}

func (e *apiError) Error() string { return e.detail }

func badRequest(field, detail string) error {
	return &apiError{status: http.StatusBadRequest, code: "validation", field: field, detail: detail}
}

func forbidden(code, detail string) error {
	return &apiError{status: http.StatusForbidden, code: code, detail: detail}
}

func notFound(code, detail string) error {
	return &apiError{status: http.StatusNotFound, code: code, detail: detail}
}

// kindStatus maps the write path's error kinds to HTTP statuses.
var kindStatus = map[commands.ErrorKind]int{
	commands.KindValidation:  http.StatusBadRequest,
	commands.KindForbidden:   http.StatusForbidden,
	commands.KindNotFound:    http.StatusNotFound,
	commands.KindConflict:    http.StatusConflict,
	commands.KindRefused:     http.StatusUnprocessableEntity,
	commands.KindUnavailable: http.StatusServiceUnavailable,
	commands.KindInternal:    http.StatusInternalServerError,
}

// statusOf is the HTTP status of a classified error.
func statusOf(c commands.Classification) int {
	if c.Code == "revision_mismatch" {
		return http.StatusPreconditionFailed // only If-Match sets an expected revision
	}
	return kindStatus[c.Kind]
}

// problemFor is the one place errors become problems: the API's own
// errors, authentication, oversize bodies and timeouts here, and every
// domain and command error through commands.Classify.
func problemFor(err error) Problem {
	var (
		api      *apiError
		tooLarge *http.MaxBytesError
		verr     *commands.ValidationError
		readFail *readModelFailure
	)
	c := commands.Classify(err)
	switch {
	case errors.As(err, &api):
		return newProblem(api.status, api.code, api.detail, api.field)
	case errors.As(err, &readFail):
		return newProblem(http.StatusServiceUnavailable, "read_model_unavailable", readModelFailedDetail, "")
	case errors.Is(err, auth.ErrUnauthenticated):
		// The reason (unknown, expired, bad signature) goes to the log, not
		// to the client, who could use it to probe tokens.
		return newProblem(http.StatusUnauthorized, "unauthenticated", "a valid bearer token is required", "")
	case errors.As(err, &tooLarge):
		return newProblem(http.StatusRequestEntityTooLarge, "request_too_large", err.Error(), "")
	case c.Kind == commands.KindUnavailable:
		// Before the context's cases: a deadline that ended an append is
		// news of an unknown outcome, with its own instruction.
		return newProblem(http.StatusServiceUnavailable, c.Code, unavailableDetail[c.Code], "")
	case errors.Is(err, context.DeadlineExceeded):
		return newProblem(http.StatusServiceUnavailable, "timeout", "the request took too long; it may or may not have been recorded: retry with the same Idempotency-Key", "")
	case errors.Is(err, context.Canceled):
		return newProblem(499, "cancelled", "the client went away", "")
	}
	status := statusOf(c)
	field := ""
	if errors.As(err, &verr) {
		field = verr.Field
	}
	detail := err.Error()
	switch c.Kind {
	case commands.KindInternal:
		detail = "internal error; see the server log for the request id"
	case commands.KindNotFound:
		// A missing ticket and someone else's ticket must read alike, to
		// the byte: the real reason goes to the server log only.
		detail = ticketNotFoundDetail
	}
	return newProblem(status, c.Code, detail, field)
}

// unavailableDetail is the detail of each 503 of KindUnavailable: what
// the client must do, not the store's error (that goes to the server log).
var unavailableDetail = map[string]string{
	"outcome_unknown": "the store failed while recording the command, which may or may not have been recorded: " +
		"retry after Retry-After with the same Idempotency-Key; if it was recorded, the retry answers with the first result",
	"unavailable": "the store is unavailable and nothing was changed: retry after Retry-After (a command with the same Idempotency-Key)",
}

// readModelFailedDetail is the detail of a read model's failure: what to do,
// not the database's error (that goes to the server log).
const readModelFailedDetail = "the read models cannot be read now (their database is out of reach or not prepared yet): retry after Retry-After; a ticket's own state and history are read from the ledger and still answer"

// ticketNotFoundDetail is the one detail of a command's 404.
const ticketNotFoundDetail = "no such ticket"

func newProblem(status int, code, detail, field string) Problem {
	title := http.StatusText(status)
	if status == 499 {
		title = "Client Closed Request"
	}
	return Problem{Type: ProblemTypePrefix + code, Title: title, Status: status, Detail: detail, Code: code, Field: field}
}

// writeProblem answers with err as application/problem+json and records it
// for the access log.
func writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	p.Instance = r.URL.Path
	info := infoOf(r.Context())
	if info != nil {
		p.RequestID = info.requestID
		info.err, info.code = err, p.Code
	}
	if p.Status == http.StatusUnauthorized {
		challenge := `Bearer realm="disputes"`
		if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
	}
	if after := retryAfter(p); after != "" && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", after)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// Seconds a client should wait before trying again, sent as Retry-After.
const (
	// conflictRetryAfter follows 409 too_many_conflicts: the ticket was
	// busy through every retry, so the contention is brief but real.
	conflictRetryAfter = "1"
	// throttledRetryAfter follows every 429: a slot frees when a stream
	// of the same principal ends.
	throttledRetryAfter = "5"
	// unavailableRetryAfter follows every 503 of the store: a dropped
	// connection or a restarting database is back within seconds.
	unavailableRetryAfter = "1"
)

// retryAfter returns the Retry-After of a problem, "" when retrying
// unchanged would not help.
func retryAfter(p Problem) string {
	switch {
	case p.Status == http.StatusTooManyRequests:
		return throttledRetryAfter
	case p.Code == "too_many_conflicts":
		return conflictRetryAfter
	case p.Code == "outcome_unknown", p.Code == "unavailable":
		return unavailableRetryAfter
	case p.Code == "read_model_unavailable" && p.Detail == readModelFailedDetail: // not a server without projections
		return unavailableRetryAfter
	}
	return ""
}
