package httpapi

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections"
	"github.com/disputes-ledger/disputes/projections/views"
)

// openAPIDoc is the OpenAPI 3 document served at /openapi.json. It is
// generated from the route table and the Go types by BuildOpenAPI, kept in
// the repository, and a test fails when the two differ or when a route is
// missing from it (regenerate with go test ./httpapi -run TestOpenAPI -update).
//
//go:embed openapi.json
var openAPIDoc []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIDoc)
}

type obj = map[string]any

// BuildOpenAPI returns the OpenAPI document of the API, indented.
func BuildOpenAPI() ([]byte, error) {
	g := &schemaGen{schemas: obj{}}
	paths := obj{}
	for _, rt := range (&Server{}).routeTable() {
		item, _ := paths[rt.path].(obj)
		if item == nil {
			item = obj{}
			paths[rt.path] = item
		}
		item[strings.ToLower(rt.method)] = g.operation(rt)
	}
	doc := obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":   "disputes ledger API",
			"version": "1",
			"description": "An event-sourced ledger of marketplace after-sales disputes. Commands are idempotent by " +
				"command id (Idempotency-Key) and conditional with If-Match on the ticket's revision (its ETag). " +
				"Errors are application/problem+json (RFC 9457) with type urn:disputes:problem:<code>. " +
				"Who may do what is the domain's permission table: a buyer or merchant acts and reads only on its own tickets, " +
				"auditors read everything and write nothing, and the system role (deadline expiries) is never granted to a token.",
		},
		"paths": paths,
		"components": obj{
			"schemas": g.schemas,
			"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer",
				"description": "An opaque token from the server's token file, or a JWT (HS256 or EdDSA) with sub and role claims when configured."}},
		},
		"security": []any{obj{"bearer": []any{}}},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func (g *schemaGen) operation(rt route) obj {
	op := obj{"operationId": rt.op, "summary": rt.summary}
	if rt.public {
		op["security"] = []any{}
	}
	var params []any
	for _, name := range pathParams(rt.path) {
		params = append(params, obj{"name": name, "in": "path", "required": true, "schema": obj{"type": "string"}})
	}
	for _, p := range rt.params {
		s := obj{"type": p.typ}
		if p.format != "" {
			s["format"] = p.format
		}
		if vs, ok := listEnums()[p.name]; ok && rt.op == "listTickets" {
			s["enum"] = vs
		}
		params = append(params, obj{"name": p.name, "in": "query", "description": p.description, "schema": s})
	}
	problemOf := func(description string) obj {
		return obj{"description": description, "content": obj{"application/problem+json": obj{"schema": g.ref(reflect.TypeFor[Problem]())}}}
	}
	retryAfter := obj{"Retry-After": obj{"description": "seconds to wait before retrying", "schema": obj{"type": "integer", "minimum": 1}}}
	responses := obj{"default": problemOf("a problem (RFC 9457)")}
	switch rt.op {
	case "listTickets", "getAuditTrail":
		responses["400"] = problemOf("validation: a filter, limit or cursor the server does not accept; field names the query parameter")
	}
	ok := func(t reflect.Type) obj {
		return obj{"description": "OK", "content": obj{"application/json": obj{"schema": g.ref(t)}}}
	}
	switch {
	case rt.command != "":
		params = append(params,
			obj{"name": "Idempotency-Key", "in": "header", "description": "the command id, scoped to the caller and the ticket; or give command_id in the body. A key reused for another request is 422 idempotency_key_reused", "schema": obj{"type": "string"}},
			obj{"name": "If-Match", "in": "header", "description": "only if the ticket is at this revision (its ETag), else 412", "schema": obj{"type": "string"}})
		cmd, _ := commands.DecodeCommand(rt.command, nil)
		body := obj{"type": "object", "additionalProperties": false, "properties": obj{
			"command_id":     obj{"type": "string", "description": "the command id, if not in Idempotency-Key"},
			"correlation_id": obj{"type": "string"},
			"data":           g.ref(reflect.TypeOf(cmd)),
		}}
		op["requestBody"] = obj{"content": obj{"application/json": obj{"schema": body}}}
		created := ok(reflect.TypeFor[CommandResponse]())
		created["description"] = "recorded; or, with the header Idempotent-Replayed: true, the first answer to " +
			"this principal's same request with the same key, replayed: nothing new was written"
		created["headers"] = obj{
			"ETag":                obj{"description": "the ticket's revision after the command", "schema": obj{"type": "string"}},
			"Idempotent-Replayed": obj{"description": "true on a replayed answer", "schema": obj{"type": "string", "enum": []string{"true"}}},
		}
		responses["201"] = created
		conflict := problemOf("too_many_conflicts: the ticket stayed busy through every retry; try again after Retry-After")
		conflict["headers"] = retryAfter
		responses["409"] = conflict
		unavailable := problemOf("outcome_unknown: the store failed while recording the command, which may or may not be recorded; " +
			"unavailable: the store failed before anything was written. Either way, retry after Retry-After with the same " +
			"Idempotency-Key: a recorded command answers with its first result")
		unavailable["headers"] = retryAfter
		responses["503"] = unavailable
	case rt.path == "/v1/events":
		responses["200"] = obj{"description": "an event stream", "content": obj{"text/event-stream": obj{"schema": obj{"type": "string"}}}}
		throttled := problemOf("too_many_streams_for_principal: this principal holds its share of streams")
		throttled["headers"] = retryAfter
		responses["429"] = throttled
	case rt.path == "/v1/checkpoint":
		responses["200"] = obj{"description": "a signed note: origin, tree size, base64 root hash, a blank line, signature lines", "content": obj{"text/plain": obj{"schema": obj{"type": "string"}}}}
	case rt.path == "/metrics":
		responses["200"] = obj{"description": "metrics", "content": obj{"text/plain": obj{"schema": obj{"type": "string"}}}}
	default:
		responses["200"] = ok(responseTypes[rt.op])
	}
	if rt.op == "readyz" {
		notReady := ok(responseTypes[rt.op])
		notReady["description"] = "not ready: the body names what holds it back"
		notReady["headers"] = retryAfter
		responses["503"] = notReady
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	op["responses"] = responses
	return op
}

// responseTypes are the JSON bodies of the query routes.
var responseTypes = map[string]reflect.Type{
	"healthz":       reflect.TypeFor[map[string]string](),
	"readyz":        reflect.TypeFor[Readiness](),
	"openapi":       reflect.TypeFor[map[string]any](),
	"whoAmI":        reflect.TypeFor[Me](),
	"listTickets":   reflect.TypeFor[TicketList](),
	"getTicket":     reflect.TypeFor[TicketView](),
	"getHistory":    reflect.TypeFor[HistoryResponse](),
	"getAuditTrail": reflect.TypeFor[AuditResponse](),
	"listScores":    reflect.TypeFor[ScoreList](),
	"getScore":      reflect.TypeFor[MerchantScore](),
}

func pathParams(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, strings.Trim(seg, "{}"))
		}
	}
	return out
}

// schemaGen turns Go types into JSON schemas, named structs into
// components.
type schemaGen struct{ schemas obj }

var enums = map[reflect.Type][]string{}

func init() {
	add := func(t reflect.Type, vs ...string) { enums[t] = vs }
	add(reflect.TypeFor[events.TicketKind](), "refund_only", "return_refund", "exchange")
	add(reflect.TypeFor[events.Reason](), "no_reason", "quality", "not_as_described", "damaged", "counterfeit",
		"not_shipped", "logistics_delay", "missing_parts", "other")
	add(reflect.TypeFor[events.OfferKind](), "partial_refund", "replacement_without_return")
	add(reflect.TypeFor[events.ReturnProblem](), "not_received", "damaged", "empty_package", "different_item", "parts_missing")
	add(reflect.TypeFor[events.Outcome](), "buyer_favoured", "partially_favoured", "merchant_favoured")
	add(reflect.TypeFor[events.Liability](), "merchant", "buyer", "shared", "none")
	add(reflect.TypeFor[events.AppealDecision](), "upheld", "overturned")
	var kinds, roles []string
	for _, k := range events.DeadlineKinds() {
		kinds = append(kinds, string(k))
	}
	for _, r := range events.Roles() {
		roles = append(roles, string(r))
	}
	var statuses []string
	for _, st := range domain.Statuses() {
		statuses = append(statuses, string(st))
	}
	add(reflect.TypeFor[domain.Status](), statuses...)
	add(reflect.TypeFor[events.DeadlineKind](), kinds...)
	add(reflect.TypeFor[events.Role](), roles...)
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	rawType     = reflect.TypeFor[json.RawMessage]()
	payloadType = reflect.TypeFor[events.Payload]()
)

// ref returns the schema of t: a $ref for named structs.
func (g *schemaGen) ref(t reflect.Type) obj {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return obj{"type": "string", "format": "date-time"}
	case t == rawType:
		return obj{"type": "object", "description": "a JSON object"}
	case t == payloadType:
		return obj{"type": "object", "description": "the event's payload; its shape depends on the event type"}
	}
	if vs, ok := enums[t]; ok {
		return obj{"type": "string", "enum": vs}
	}
	switch t.Kind() {
	case reflect.String:
		return obj{"type": "string"}
	case reflect.Bool:
		return obj{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Uint64:
		return obj{"type": "integer", "format": "int64"}
	case reflect.Float64:
		return obj{"type": "number"}
	case reflect.Slice:
		if t.Elem() == rawType {
			return obj{"type": "array", "items": obj{"type": "object"}}
		}
		return obj{"type": "array", "items": g.ref(t.Elem())}
	case reflect.Map:
		return obj{"type": "object", "additionalProperties": g.ref(t.Elem())}
	case reflect.Struct:
		name := t.Name()
		if _, done := g.schemas[name]; !done {
			g.schemas[name] = obj{} // placeholder against recursion
			g.schemas[name] = g.object(t)
		}
		return obj{"$ref": "#/components/schemas/" + name}
	}
	return obj{}
}

// sharedResponse says t is a response row: the API's own, or the views and
// read-model rows it shares with the CLI.
func sharedResponse(t reflect.Type) bool {
	switch t.PkgPath() {
	case reflect.TypeFor[Problem]().PkgPath(), reflect.TypeFor[views.TicketView]().PkgPath(), reflect.TypeFor[projections.TicketSummary]().PkgPath():
		return true
	}
	return false
}

// object is the schema of a struct's JSON form; embedded structs' fields
// are inlined, as encoding/json does.
func (g *schemaGen) object(t reflect.Type) obj {
	props := obj{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" || !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				walk(f.Type)
				continue
			}
			if name == "" {
				name = f.Name
			}
			props[name] = g.ref(f.Type)
			if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
				required = append(required, name)
			}
		}
	}
	walk(t)
	o := obj{"type": "object", "properties": props}
	if t.PkgPath() == reflect.TypeFor[domain.Rule]().PkgPath() {
		o["additionalProperties"] = false // command data is decoded strictly
	}
	// The API's own response types (and the views and read-model rows it shares with the CLI) state what they always carry; command
	// data (package domain, and the events types it embeds) leaves zero
	// values out freely, and the domain says which fields a command needs.
	if len(required) > 0 && sharedResponse(t) {
		o["required"] = required
	}
	return o
}
