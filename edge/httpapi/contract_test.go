package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"

	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The contract: every exchange of the HTTP tests goes through
// checkContract, which checks it against openapi.json with an OpenAPI
// validator (kin-openapi), so that the document and the server cannot
// drift apart unnoticed:
//
//   - every answer on a documented route has a documented status, and its
//     headers and body match that status's schema (problem codes included);
//   - every request the document forbids (a body or parameter outside its
//     schema) is refused by the server with a 4xx;
//   - every answer off the documented routes is a problem.
//
// newLedger wraps the server it starts, so every test that talks HTTP is a
// test of the document too.

// contractDoc is the parsed and validated document and its router.
var contractDoc = sync.OnceValues(func() (*contractSpec, error) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("openapi.json does not load: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.json is not a valid OpenAPI document: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &contractSpec{doc: doc, router: router}, nil
})

type contractSpec struct {
	doc    *openapi3.T
	router routers.Router
}

func init() {
	// An event stream is text, read whole as a string.
	openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.PlainBodyDecoder)
}

// maxCheckedBody bounds how much of an answer the checker keeps: an event
// stream may run long, and the rest of it is checked by its own tests.
const maxCheckedBody = 1 << 20

// checkContract returns next wrapped in the contract's checks, which
// report to t.
func checkContract(t testing.TB, next http.Handler) http.Handler {
	t.Helper()
	spec, err := contractDoc()
	if err != nil {
		t.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, readErr := io.ReadAll(r.Body)
		var rest io.Reader = bytes.NewReader(body)
		if readErr != nil { // the handler meets the same failure, after the bytes that came
			rest = io.MultiReader(rest, failingReader{readErr})
		}
		r.Body = io.NopCloser(rest)
		tee := &teeWriter{ResponseWriter: w}
		next.ServeHTTP(tee, r)
		if readErr != nil {
			return // the request never arrived whole: there is nothing to check it against
		}
		if err := spec.check(r, body, tee); err != nil {
			t.Errorf("contract (openapi.json) broken by %s %s → %d: %v\nrequest body: %.300s\nanswer: %.600s",
				r.Method, r.URL.RequestURI(), tee.statusCode(), err, body, tee.body.Bytes())
		}
	})
}

// check checks one exchange.
func (s *contractSpec) check(r *http.Request, reqBody []byte, res *teeWriter) error {
	ctx := context.Background()
	req := r.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := s.router.FindRoute(req)
	status := res.statusCode()
	if err != nil {
		// Off the document's routes the server answers a problem only.
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			return fmt.Errorf("an undocumented route answered %d", status)
		}
		return s.checkProblem(res)
	}
	reqInput := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if reqErr := openapi3filter.ValidateRequest(ctx, reqInput); reqErr != nil && (status < 400 || status >= 500) {
		return fmt.Errorf("the document forbids the request (%v), but the server answered %d", reqErr, status)
	}
	body := res.body.Bytes()
	resInput := &openapi3filter.ResponseValidationInput{RequestValidationInput: reqInput, Status: status,
		Header: res.Header(), Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: res.truncated}}
	if err := openapi3filter.ValidateResponse(ctx, resInput); err != nil {
		return err
	}
	if status >= 400 && route.Operation.OperationID != "readyz" { // not ready is a Readiness body
		return s.checkProblem(res)
	}
	return nil
}

// checkProblem checks that an answer is a problem (RFC 9457) as the
// document's Problem schema has it.
func (s *contractSpec) checkProblem(res *teeWriter) error {
	if ct := res.Header().Get("Content-Type"); ct != "application/problem+json" {
		return fmt.Errorf("a %d answer is %q, not application/problem+json", res.statusCode(), ct)
	}
	var v any
	if err := json.Unmarshal(res.body.Bytes(), &v); err != nil {
		return fmt.Errorf("a problem that is not JSON: %w", err)
	}
	if err := s.doc.Components.Schemas["Problem"].Value.VisitJSON(v); err != nil {
		return fmt.Errorf("the problem is not the document's Problem: %w", err)
	}
	return nil
}

// teeWriter passes an answer through and keeps a copy of it. It passes
// Flush (and the rest, through Unwrap) on, so that event streams stream.
type teeWriter struct {
	http.ResponseWriter
	status    int
	body      bytes.Buffer
	truncated bool
}

func (w *teeWriter) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

func (w *teeWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *teeWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if room := maxCheckedBody - w.body.Len(); room < len(b) {
		w.truncated = true
		w.body.Write(b[:max(room, 0)])
	} else {
		w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

func (w *teeWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

// TestContractCheckerCatchesDrift: the checker is not a rubber stamp. An
// answer the document does not allow, and a request the document forbids
// that the server takes, are each reported.
func TestContractCheckerCatchesDrift(t *testing.T) {
	for _, tc := range []struct {
		name    string
		req     *http.Request
		reqBody string
		serve   http.HandlerFunc
		want    string
	}{
		{name: "an undocumented status", req: mustRequest("GET", "/v1/me", ""),
			serve: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) },
			want:  "status is not supported"},
		{name: "a body outside its schema", req: mustRequest("GET", "/v1/me", ""),
			serve: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Request-ID", "r-1")
				_, _ = w.Write([]byte(`{"role":"emperor","id":"x"}`))
			},
			want: "emperor"},
		{name: "a problem code the status does not have", req: mustRequest("GET", "/v1/me", ""),
			serve: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/problem+json")
				w.Header().Set("X-Request-ID", "r-1")
				w.Header().Set("WWW-Authenticate", `Bearer realm="disputes"`)
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"type":"urn:disputes:problem:ticket_locked","title":"Unauthorized","status":401,"code":"ticket_locked"}`))
			},
			want: "ticket_locked"},
		{name: "a documented header missing", req: mustRequest("POST", "/v1/tickets/T-1/commands/withdraw", `{}`),
			serve: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Request-ID", "r-1")
				w.WriteHeader(http.StatusCreated)
				_, _ = w.Write([]byte(`{}`))
			},
			want: `"ETag" missing`},
		{name: "a forbidden request taken", req: mustRequest("POST", "/v1/tickets/T-1/commands/post_message", `{"data":{"text":"hi","colour":"red"}}`),
			serve: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusCreated) },
			want:  "the document forbids the request"},
		{name: "an undocumented route that answers", req: mustRequest("GET", "/v1/secrets", ""),
			serve: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) },
			want:  "undocumented route"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := contractDoc()
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(tc.req.Body)
			tee := &teeWriter{ResponseWriter: discardWriter{header: http.Header{}}}
			tc.serve(tee, tc.req)
			err = spec.check(tc.req, body, tee)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error naming %q, got %v", tc.want, err)
			}
		})
	}
}

func mustRequest(method, path, body string) *http.Request {
	req, err := http.NewRequest(method, path, strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Authorization", "Bearer x")
	req.Header.Set("Idempotency-Key", "k-1")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

type discardWriter struct{ header http.Header }

func (w discardWriter) Header() http.Header         { return w.header }
func (w discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w discardWriter) WriteHeader(int)             {}

// TestRequestsTheDocumentForbidsAreRefused (issue 16, item 17): each body
// here is outside the document — a null, "" as an enumeration's value, an
// unknown member of nested data (an evidence item, ruling terms), text,
// ids and lists over their bounds, an amount over the policy's maximum —
// and the server refuses each with 400, naming the field. The contract
// checker around the server asserts the first half on every exchange;
// this test asserts that the document does forbid each, so none passes
// unchecked.
func TestRequestsTheDocumentForbidsAreRefused(t *testing.T) {
	t.Parallel()
	l := newLedger(t, options{})
	l.as("buyer:b-1").ok("T-1", "open_ticket", "c-open", openData("m-1"))
	item := `{"id":"e-1","kind":"photo","description":"d","sha256":"` + strings.Repeat("ab", 32) + `","uri":"u"}`
	spec, err := contractDoc()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		who, command, body, field string
	}{
		{"merchant:m-1", "confirm_receipt", `{"data":{"problem":""}}`, "data.problem"},
		{"merchant:m-1", "confirm_receipt", `{"data":{"note":null}}`, "data.note"},
		{"merchant:m-1", "confirm_receipt", `{"data":null}`, "data"},
		{"merchant:m-1", "confirm_receipt", `{"command_id":null}`, "command_id"},
		{"merchant:m-1", "confirm_receipt", `null`, "body"},
		{"buyer:b-1", "submit_evidence", `{"data":{"items":[` + strings.TrimSuffix(item, "}") + `,"colour":"red"}]}}`, "data.items[0]"},
		{"buyer:b-1", "submit_evidence", `{"data":{"items":[` + strings.Repeat(item+",", 64) + item + `]}}`, "data.items"},
		{"buyer:b-1", "submit_evidence", `{"data":{"items":[{"id":"` + strings.Repeat("e", 129) + `"}]}}`, "data.items[0].id"},
		{"buyer:b-1", "post_message", `{"data":{"text":"` + strings.Repeat("字", 8193) + `"}}`, "data.text"},
		{"buyer:b-1", "post_message", `{"data":{"text":"a\u202eb"}}`, "data.text"},
		{"buyer:b-1", "post_message", `{"data":{"text":"hi"},"correlation_id":"has space"}`, "correlation_id"},
		{"merchant:m-1", "issue_refund", `{"data":{"amount":1000000000001}}`, "data.amount"},
		{"merchant:m-1", "issue_refund", `{"data":{"amount":-1}}`, "data.amount"},
		{"arbitrator:arb-1", "rule", `{"data":{"outcome":"buyer_favoured","liability":"merchant","rationale":"r","shoe_size":3}}`, "data"},
		{"senior_arbitrator:sr-1", "decide_appeal", `{"data":{"decision":"overturned","rationale":"r","terms":{"outcome":"buyer_favoured","liability":"merchant","extra":1}}}`, "data"},
	} {
		key := fmt.Sprintf("k-%d", len(tc.body))
		t.Run(tc.command+"/"+tc.field, func(t *testing.T) {
			req := mustRequest("POST", "/v1/tickets/T-1/commands/"+tc.command, tc.body)
			route, params, err := spec.router.FindRoute(req)
			if err != nil {
				t.Fatal(err)
			}
			err = openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{Request: req,
				PathParams: params, Route: route, Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}})
			if err == nil {
				t.Fatalf("the document allows %s", tc.body)
			}
			res := l.as(tc.who).do("POST", "/v1/tickets/T-1/commands/"+tc.command, []byte(tc.body),
				map[string]string{"Idempotency-Key": key})
			if res.status != http.StatusBadRequest {
				t.Fatalf("answered %d, want 400: %s", res.status, res.body)
			}
			if p := res.problem(t); !strings.HasPrefix(p.Field, tc.field) {
				t.Errorf("the problem names %q, want %q: %s", p.Field, tc.field, p.Detail)
			}
		})
	}
}
