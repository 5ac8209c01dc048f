package main

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/events"
)

// Build returns docs/commands.md.
func Build() ([]byte, error) {
	doc, _, err := build()
	return doc, err
}

// build returns docs/commands.md and what the explorer saw.
func build() ([]byte, map[string]*behaviour, error) {
	pol := policy.Default()
	seen, err := explore(pol)
	if err != nil {
		return nil, nil, err
	}
	required := requiredMembers(seen, pol)
	schemas, components := httpapi.CommandDataSchemas()
	limits := commands.DefaultLimits()
	api := httpapi.APICommands()

	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Commands\n\n")
	p("<!-- Generated from the code by cmd/internal/cmdcatalog (go generate ./cmd/disputes); do not edit: a test fails when this file is stale. -->\n\n")
	p("Every command the ledger takes, in lifecycle order: who may send it, the ticket statuses it is accepted in, ")
	p("the refusals it meets, and its `data` fields with their types and bounds. The rules behind them: [domain.md](domain.md).\n\n")
	p("A command comes through the API, `POST /v1/tickets/{ticket_id}/commands/NAME` with the body `{\"data\": {…}}` ")
	p("and an `Idempotency-Key` (the actor is the token's principal; see `/openapi.json`), or as one JSON line of ")
	p("`disputes exec`: `{\"command_id\": \"…\", \"ticket_id\": \"…\", \"actor\": {\"role\": \"…\", \"id\": \"…\"}, \"command\": \"NAME\", \"data\": {…}}`.\n\n")
	p("Bounds, as the write path checks them (`commands.DefaultLimits`, the default policy): a request of at most %d bytes; ", limits.MaxRequestBytes)
	p("ids (`command_id`, `ticket_id`, `correlation_id`, the actor's id: ASCII letters, digits and `%s`; in `data`, a field named `id` or `*_id`) ", commands.IDPunctuation)
	p("of at most %d bytes; other text of at most %d bytes of UTF-8, without control characters (but newline and tab) ", limits.MaxIDBytes, limits.MaxTextBytes)
	p("or bidirectional formatting characters; lists of at most %d items; amounts are integers in minor units (fen) ", limits.MaxListItems)
	p("from 0 to %d (the policy's `max_amount`). A member is given or left out: `null`, unknown members and `\"\"` ", limits.AmountLimit())
	p("for an enumeration are refused. Any command may be refused as `validation` (malformed or oversize input) ")
	p("before the rules see it; the API adds its own codes (401, 408, 409, 412, 413, 415, 503: see `/openapi.json`).\n\n")
	p("\"Accepted in\" and \"Refusals\" are what `domain.Decide` answered when the generator tried each command, with ")
	p("payloads the scenarios send, by every role (a party of the ticket and a stranger), on time and %d days late, ", int(lateBy.Hours()/24))
	p("in every state that the seed disputes and %d generated ones (`domain/scenarios`) pass through. ", generated)
	p("A field is required when every accepted try, sent again without it, was refused (the OpenAPI document marks the same ones); ")
	p("a refusal that only a particular payload meets (an amount above the price paid, say) may be missing from the list.\n\n")

	p("| command | who may send it | accepted in |\n|---|---|---|\n")
	for _, spec := range domain.Registry() {
		p("| [`%s`](#%s) | %s | %s |\n", spec.Name(), spec.Name(), roles(spec.Roles), statuses(seen[spec.Name()]))
	}
	for _, spec := range domain.Registry() {
		name := spec.Name()
		bh := seen[name]
		p("\n## %s\n\n%s\n\n", name, spec.Summary)
		p("- **Who may send it:** %s\n", roles(spec.Roles))
		if slices.Contains(api, name) {
			p("- **API:** `POST %s`\n", httpapi.CommandPath(name))
		} else {
			p("- **API:** none: the scheduler sends it (`disputes exec --allow-system` imports recorded ones)\n")
		}
		p("- **Accepted in:** %s\n", statuses(bh))
		p("- **Refusals:** %s\n", refusals(bh))
		nested := map[string]bool{}
		p("\n%s", fieldTable(schemas[name], components, required[reflect.TypeOf(spec.Zero).Name()], nested))
		names := make([]string, 0, len(nested))
		for n := range nested {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			p("\n`%s`, each:\n\n%s", n, fieldTable(components[n], components, required[n], map[string]bool{}))
		}
	}
	return []byte(b.String()), seen, nil
}

func roles(rs []events.Role) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return strings.Join(out, ", ")
}

// statuses lists where a command was accepted, in lifecycle order.
func statuses(b *behaviour) string {
	var out []string
	if b.acceptedIn[domain.StatusNone] {
		out = append(out, "no ticket yet")
	}
	for _, s := range domain.Statuses() {
		if b.acceptedIn[s] {
			out = append(out, "`"+string(s)+"`")
		}
	}
	if len(out) == 0 {
		return "—"
	}
	return strings.Join(out, ", ")
}

// refusals lists a command's refusal codes by kind, in the order of
// commands.Classifications.
func refusals(b *behaviour) string {
	var out []string
	for _, c := range commands.Classifications() {
		if kind, ok := b.refusals[c.Code]; ok {
			out = append(out, fmt.Sprintf("`%s` (%s)", c.Code, kind))
		}
	}
	if len(out) == 0 {
		return "—"
	}
	return strings.Join(out, ", ")
}

// fieldTable renders an object schema's members as a table, and notes
// the nested objects it refers to.
func fieldTable(s any, components map[string]any, required []string, nested map[string]bool) string {
	obj, _ := s.(map[string]any)
	if ref, ok := obj["$ref"].(string); ok {
		obj, _ = components[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
	}
	props, _ := obj["properties"].(map[string]any)
	if len(props) == 0 {
		return "No data: send `{}` or leave `data` out.\n"
	}
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("| field | required | type and bounds |\n|---|---|---|\n")
	for _, n := range names {
		req := ""
		if slices.Contains(required, n) {
			req = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", n, req, describe(props[n], nested))
	}
	return b.String()
}

// describe says a member's type and bounds in words.
func describe(s any, nested map[string]bool) string {
	m, _ := s.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		nested[name] = true
		return "object `" + name + "` (below)"
	}
	if enum, ok := m["enum"].([]string); ok {
		quoted := make([]string, len(enum))
		for i, v := range enum {
			quoted[i] = "`" + v + "`"
		}
		return "one of " + strings.Join(quoted, ", ")
	}
	switch m["type"] {
	case "string":
		if m["format"] == "date-time" {
			return "time, RFC 3339"
		}
		kind := "text"
		if m["maxLength"] == commands.DefaultLimits().MaxIDBytes {
			kind = "id"
		}
		return fmt.Sprintf("%s, at most %v bytes", kind, m["x-max-bytes"])
	case "integer":
		return fmt.Sprintf("integer, minor units (fen), %v to %v", m["minimum"], m["maximum"])
	case "boolean":
		return "true or false"
	case "array":
		return fmt.Sprintf("list of at most %v: %s", m["maxItems"], describe(m["items"], nested))
	}
	return fmt.Sprint(m["type"])
}
