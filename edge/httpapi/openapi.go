package httpapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/internal/supervise"
	"github.com/disputes-ledger/disputes/projections"
	"github.com/disputes-ledger/disputes/projections/views"
)

// openAPIDoc is the OpenAPI 3 document served at /openapi.json. It is
// generated from the route table and the Go types by BuildOpenAPI, kept in
// the repository, and a test fails when the two differ or when a route is
// missing from it (regenerate with go test ./edge/httpapi -run TestOpenAPI -update).
//
//go:embed openapi.json
var openAPIDoc []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIDoc)
}

type obj = map[string]any

// BuildOpenAPI returns the OpenAPI document of the API, indented. Its
// bounds are the server's defaults: commands.DefaultLimits and the
// default policy's MaxAmount.
func BuildOpenAPI() ([]byte, error) {
	limits := commands.DefaultLimits()
	g := newSchemaGen(limits)
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
				"Errors are application/problem+json (RFC 9457) with type urn:disputes:problem:<code>; each operation lists " +
				"every status it can answer and, for each, the codes it can carry. " +
				"Who may do what is the domain's permission table: a buyer or merchant acts and reads only on its own tickets, " +
				"auditors read everything and write nothing, and the system role (deadline expiries) is never granted to a token. " +
				fmt.Sprintf("Bounds are the server's defaults: a request body of at most %d bytes, ids of at most %d bytes, "+
					"other text of at most %d bytes (of UTF-8: maxLength counts characters, and a Chinese character takes 3 bytes), "+
					"lists of at most %d items, and every amount an integer number of minor units (fen) from 0 to %d "+
					"(the policy's MaxAmount; no policy may let an amount, compensation included, pass 2^53-1), so a JavaScript number holds every amount exactly. "+
					"No member is nullable: a member is given or left out, and null is refused (400 validation), "+
					"as are unknown members and \"\" as an enumeration's value.",
					limits.MaxRequestBytes, limits.MaxIDBytes, limits.MaxTextBytes, limits.MaxListItems, g.maxAmount),
		},
		"servers": []any{obj{"url": "/", "description": "the server that serves this document: every path is relative to its origin"}},
		"paths":   paths,
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

func newSchemaGen(limits commands.Limits) *schemaGen {
	return &schemaGen{schemas: obj{}, limits: limits, maxAmount: limits.AmountLimit(), data: commandDataTypes()}
}

// CommandDataSchemas returns the JSON schema of every command's data by
// command name, the scheduler's expire_deadline included, and the named
// schemas they refer to (#/components/schemas/NAME), exactly as the
// OpenAPI document states them: the command catalogue (docs/commands.md)
// is written from them.
func CommandDataSchemas() (byCommand, components map[string]any) {
	g := newSchemaGen(commands.DefaultLimits())
	byCommand = map[string]any{}
	for _, c := range domain.Commands() {
		byCommand[c.CommandName()] = g.ref(reflect.TypeOf(c))
	}
	return byCommand, g.schemas
}

// problemSet is what an operation answers with problems: the codes by
// status.
type problemSet map[int][]string

func (p problemSet) add(status int, codes ...string) {
	for _, c := range codes {
		if !slices.Contains(p[status], c) {
			p[status] = append(p[status], c)
		}
	}
}

// problemsOf returns every status and code a route can answer with a
// problem. The codes of commands are read from commands.Classifications
// through statusOf, the mapping problemFor uses; the HTTP layer's own are
// the ones its handlers raise. The HTTP tests check every answer against
// the document, so a code missing here fails them.
func problemsOf(rt route) problemSet {
	p := problemSet{}
	p.add(http.StatusInternalServerError, "internal")
	if !rt.public {
		p.add(http.StatusUnauthorized, "unauthenticated")
	}
	storeRead := func() { p.add(http.StatusServiceUnavailable, "unavailable", "timeout") }
	readModel := func() { p.add(http.StatusServiceUnavailable, "read_model_unavailable") }
	switch {
	case rt.command != "":
		for _, c := range commands.Classifications() {
			p.add(statusOf(c), c.Code)
		}
		p.add(http.StatusBadRequest, "validation")
		p.add(http.StatusRequestTimeout, "request_timeout")
		p.add(http.StatusRequestEntityTooLarge, "request_too_large")
		p.add(http.StatusUnsupportedMediaType, "unsupported_media_type")
		p.add(http.StatusServiceUnavailable, "timeout")
	case rt.op == "readyz": // not ready is a Readiness body, not a problem
	case rt.op == "metrics":
		p.add(http.StatusForbidden, "role_not_allowed")
		p.add(http.StatusServiceUnavailable, "timeout")
	case rt.op == "getCheckpoint":
		p.add(http.StatusNotFound, "no_checkpoint")
	case rt.op == "listTickets":
		p.add(http.StatusBadRequest, "validation")
		storeRead()
		readModel()
	case rt.op == "getTicket":
		p.add(http.StatusNotFound, "ticket_not_found")
		storeRead()
	case rt.op == "getHistory":
		p.add(http.StatusBadRequest, "validation")
		p.add(http.StatusNotFound, "ticket_not_found")
		storeRead()
	case rt.op == "getAuditTrail":
		p.add(http.StatusBadRequest, "validation")
		p.add(http.StatusNotFound, "ticket_not_found")
		storeRead()
		readModel()
	case rt.op == "listScores":
		p.add(http.StatusBadRequest, "validation")
		p.add(http.StatusForbidden, "role_not_allowed")
		storeRead()
		readModel()
	case rt.op == "getScore":
		p.add(http.StatusBadRequest, "validation")
		p.add(http.StatusForbidden, "role_not_allowed")
		p.add(http.StatusNotFound, "merchant_not_found")
		storeRead()
		readModel()
	case rt.op == "streamEvents":
		p.add(http.StatusBadRequest, "validation")
		p.add(http.StatusNotFound, "ticket_not_found")
		p.add(http.StatusTooManyRequests, "too_many_streams_for_principal")
		p.add(http.StatusServiceUnavailable, "too_many_streams")
		storeRead()
	}
	return p
}

// Response headers.
var (
	requestIDHeader = obj{"description": "the request's id, as in the server's log: the caller's X-Request-ID when short and plain, else a new one",
		"required": true, "schema": obj{"type": "string"}}
	retryAfterHeader = obj{"description": "seconds to wait before retrying", "schema": obj{"type": "integer", "minimum": 1}}
	etagHeader       = obj{"description": "the ticket's revision, quoted: give it as If-Match to act only on this revision",
		"required": true, "schema": obj{"type": "string", "pattern": `^"[0-9]+"$`}}
)

// problemResponse is the answer of one status with a problem: the
// Problem schema, its status and its code narrowed to the ones listed.
func (g *schemaGen) problemResponse(status int, codes []string) obj {
	headers := obj{"X-Request-ID": requestIDHeader}
	switch {
	case status == http.StatusUnauthorized:
		headers["WWW-Authenticate"] = obj{"description": "the bearer challenge", "required": true, "schema": obj{"type": "string"}}
	case status == http.StatusTooManyRequests, slices.Equal(codes, []string{"too_many_conflicts"}):
		headers["Retry-After"] = withRequired(retryAfterHeader)
	case status == http.StatusServiceUnavailable:
		headers["Retry-After"] = retryAfterHeader // not on every 503: see the code
	}
	title := http.StatusText(status)
	return obj{
		"description": title + ": " + strings.Join(codes, ", "),
		"headers":     headers,
		"content": obj{"application/problem+json": obj{"schema": obj{"allOf": []any{
			g.ref(reflect.TypeFor[Problem]()),
			obj{"type": "object", "properties": obj{
				"status": obj{"type": "integer", "enum": []int{status}},
				"title":  obj{"type": "string", "enum": []string{title}},
				"code":   obj{"type": "string", "enum": codes},
				"type":   obj{"type": "string", "enum": problemTypes(codes)},
			}},
		}}}},
	}
}

func problemTypes(codes []string) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = ProblemTypePrefix + c
	}
	return out
}

func (g *schemaGen) operation(rt route) obj {
	op := obj{"operationId": rt.op, "summary": rt.summary}
	if rt.public {
		op["security"] = []any{}
	}
	var params []any
	for _, name := range pathParams(rt.path) {
		s := g.textSchema(name, true)
		if name == "ticket_id" {
			s = g.envelopeID()
		}
		params = append(params, obj{"name": name, "in": "path", "required": true, "schema": s})
	}
	for _, p := range rt.params {
		s := obj{"type": p.typ}
		if p.format != "" {
			s["format"] = p.format
		}
		if vs, ok := listEnums()[p.name]; ok && rt.op == "listTickets" {
			s["enum"] = vs
		}
		switch p.name {
		case "limit":
			s["minimum"], s["maximum"], s["default"] = 1, MaxPageSize, DefaultPageSize
		case "after":
			s["minimum"] = 0
		}
		params = append(params, obj{"name": p.name, "in": "query", "description": p.description, "schema": s})
	}
	responses := obj{}
	for status, codes := range problemsOf(rt) {
		responses[strconv.Itoa(status)] = g.problemResponse(status, codes)
	}
	ok := func(t reflect.Type) obj {
		return obj{"description": "OK", "headers": obj{"X-Request-ID": requestIDHeader},
			"content": obj{"application/json": obj{"schema": g.ref(t)}}}
	}
	text := func(media, description string) obj {
		return obj{"description": description, "headers": obj{"X-Request-ID": requestIDHeader},
			"content": obj{media: obj{"schema": obj{"type": "string"}}}}
	}
	switch {
	case rt.command != "":
		params = append(params,
			obj{"name": "Idempotency-Key", "in": "header", "description": "the command id, scoped to the caller and the ticket; or give command_id in the body (one of the two is required). A key reused for another request is 422 idempotency_key_reused", "schema": g.envelopeID()},
			obj{"name": "If-Match", "in": "header", "description": "only if the ticket is at this revision (its ETag), else 412", "schema": obj{"type": "string", "pattern": `^\s*(W/)?"*[0-9]+"*\s*$`}})
		cmd, _ := commands.DecodeCommand(rt.command, nil)
		body := obj{"type": "object", "additionalProperties": false,
			"description":      fmt.Sprintf("at most %d bytes (413 request_too_large beyond); empty when the command id is in Idempotency-Key and the command has no data", g.limits.MaxRequestBytes),
			"x-max-body-bytes": g.limits.MaxRequestBytes,
			"properties": obj{
				"command_id":     withDescription(g.envelopeID(), "the command id, if not in Idempotency-Key (if both, they must be equal)"),
				"correlation_id": withDescription(g.envelopeID(), "an id the caller relates commands by; recorded with the events"),
				"data":           g.ref(reflect.TypeOf(cmd)),
			}}
		op["requestBody"] = obj{"content": obj{"application/json": obj{"schema": body}}}
		created := ok(reflect.TypeFor[CommandResponse]())
		created["description"] = "recorded; or, with the header Idempotent-Replayed: true, the first answer to " +
			"this principal's same request with the same key, replayed: nothing new was written"
		created["headers"] = obj{
			"X-Request-ID": requestIDHeader,
			"ETag":         etagHeader,
			"Location":     obj{"description": "the ticket", "required": true, "schema": obj{"type": "string", "pattern": "^/v1/tickets/[^/]+$"}},
			"Idempotent-Replayed": obj{"description": "true on a replayed answer, absent otherwise",
				"schema": obj{"type": "string", "enum": []string{"true"}}},
		}
		responses["201"] = created
	case rt.op == "streamEvents":
		params = append(params, obj{"name": "Last-Event-ID", "in": "header",
			"description": "the id of the last event received (an EventSource sends it when it reconnects); takes precedence over after",
			"schema":      obj{"type": "string", "pattern": "^[0-9]+$"}})
		responses["200"] = text("text/event-stream", "an event stream")
	case rt.op == "getCheckpoint":
		responses["200"] = text("text/plain", "a signed note: origin, tree size, base64 root hash, a blank line, signature lines")
	case rt.op == "metrics":
		responses["200"] = text("text/plain", "Prometheus text-format metrics")
	case rt.op == "getTicket":
		params = append(params, obj{"name": "If-None-Match", "in": "header",
			"description": "the ETag held: 304 when the ticket is still at that revision", "schema": obj{"type": "string"}})
		res := ok(responseTypes[rt.op])
		res["headers"] = obj{"X-Request-ID": requestIDHeader, "ETag": etagHeader}
		responses["200"] = res
		responses["304"] = obj{"description": "Not Modified: the ticket is still at the revision of If-None-Match",
			"headers": obj{"X-Request-ID": requestIDHeader, "ETag": etagHeader}}
	default:
		responses["200"] = ok(responseTypes[rt.op])
	}
	if rt.op == "readyz" {
		notReady := ok(responseTypes[rt.op])
		notReady["description"] = "not ready: the body names what holds it back"
		notReady["headers"] = obj{"X-Request-ID": requestIDHeader, "Retry-After": withRequired(retryAfterHeader)}
		responses["503"] = notReady
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	op["responses"] = responses
	return op
}

func withRequired(header obj) obj {
	header = maps.Clone(header)
	header["required"] = true
	return header
}

func withDescription(s obj, d string) obj {
	s = maps.Clone(s)
	s["description"] = d
	return s
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
// components. The structs of command data (data) are stated as the
// write path checks them: no other members, and every string, list and
// amount within its bound.
type schemaGen struct {
	schemas   obj
	limits    commands.Limits
	maxAmount int64
	data      map[reflect.Type]bool
}

// commandDataTypes returns every struct a command's data holds, the
// commands' own types included.
func commandDataTypes() map[reflect.Type]bool {
	out := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t == timeType || out[t] {
			return
		}
		out[t] = true
		for i := range t.NumField() {
			walk(t.Field(i).Type)
		}
	}
	for _, c := range domain.Commands() {
		walk(reflect.TypeOf(c))
	}
	return out
}

// envelopeID is the schema of an id the write path checks as an
// envelope id (commands.Validate): command, correlation and ticket ids.
func (g *schemaGen) envelopeID() obj {
	return obj{"type": "string", "minLength": 1, "maxLength": g.limits.MaxIDBytes,
		"pattern": "^[A-Za-z0-9" + regexp.QuoteMeta(commands.IDPunctuation) + "]+$"}
}

// textSchema is the schema of a string of command data named name: an
// id (named id or *_id) or text, bounded in bytes and free of the
// characters the write path refuses.
func (g *schemaGen) textSchema(name string, id bool) obj {
	n := g.limits.MaxTextBytes
	if id {
		n = g.limits.MaxIDBytes
	}
	return obj{"type": "string", "maxLength": n, "x-max-bytes": n, "pattern": commands.TextPattern(id),
		"description": fmt.Sprintf("at most %d bytes of UTF-8; no control characters%s and no bidirectional formatting characters",
			n, map[bool]string{false: " but newline and tab", true: ""}[id])}
}

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
	var states []string
	for _, st := range supervise.States {
		states = append(states, string(st))
	}
	add(reflect.TypeFor[supervise.State](), states...)
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
	strict := g.data[t]
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
			omitted := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
			switch {
			case strict:
				props[name] = g.dataField(f.Type, name)
			case f.Type.Kind() == reflect.Pointer && !omitted:
				props[name] = obj{"nullable": true, "allOf": []any{g.ref(f.Type)}}
			default:
				props[name] = g.ref(f.Type)
			}
			if !omitted && f.Type.Kind() != reflect.Pointer {
				required = append(required, name)
			}
		}
	}
	walk(t)
	o := obj{"type": "object", "properties": props}
	if strict {
		o["additionalProperties"] = false // command data is decoded strictly
		if names := requiredMembers[t.Name()]; len(names) > 0 {
			o["required"] = names // what the domain refuses a command without
		}
	}
	// The API's own response types (and the views and read-model rows it shares with the CLI) state what they always carry; command
	// data (package domain, and the events types it embeds) leaves zero
	// values out freely, and the domain says which fields a command needs.
	if len(required) > 0 && sharedResponse(t) {
		o["required"] = required
	}
	return o
}

// dataField is the schema of a member of command data, with the bounds
// commands.Validate checks: strings by name (ids and text), lists by
// count, integers (amounts) from 0 to the policy's maximum.
func (g *schemaGen) dataField(t reflect.Type, name string) obj {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if _, enum := enums[t]; enum || t == timeType {
		return g.ref(t)
	}
	switch t.Kind() {
	case reflect.String:
		return g.textSchema(name, name == "id" || strings.HasSuffix(name, "_id"))
	case reflect.Slice:
		return obj{"type": "array", "maxItems": g.limits.MaxListItems, "items": g.dataField(t.Elem(), name+"[]")}
	case reflect.Int, reflect.Int64:
		return obj{"type": "integer", "format": "int64", "minimum": 0, "maximum": g.maxAmount,
			"description": "minor units (fen); at most the policy's MaxAmount"}
	}
	return g.ref(t)
}
