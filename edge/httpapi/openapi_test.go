package httpapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

var update = flag.Bool("update", false, "rewrite openapi.json from the route table")

// TestOpenAPIDocumentIsCurrent fails when openapi.json differs from what
// the route table and the Go types generate.
func TestOpenAPIDocumentIsCurrent(t *testing.T) {
	want, err := BuildOpenAPI()
	require.NoError(t, err)
	if *update {
		require.NoError(t, os.WriteFile("openapi.json", want, 0o644))
	}
	got, err := os.ReadFile("openapi.json")
	require.NoError(t, err)
	// Compared as booleans: a diff of a 90 KB document drowns the message.
	assert.True(t, bytes.Equal(want, got), "openapi.json is stale: go test ./edge/httpapi -run TestOpenAPI -update")
	assert.True(t, bytes.Equal(got, openAPIDoc), "the served document is the file")
}

// TestOpenAPIMatchesTheMux checks the document against the server's real
// ServeMux: every operation in the document is routed to exactly its
// pattern, and every route the server registers is in the document.
func TestOpenAPIMatchesTheMux(t *testing.T) {
	store, err := sqlite.Open(t.Context(), t.TempDir()+"/l.db", sqlite.Config{})
	require.NoError(t, err)
	defer store.Close()
	s, err := New(Config{Store: store, Handler: commands.NewHandler(store), Auth: auth.Chain{}})
	require.NoError(t, err)

	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(openAPIDoc, &doc))
	assert.True(t, strings.HasPrefix(doc.OpenAPI, "3."))

	param := regexp.MustCompile(`\{[a-z_]+\}`)
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			pattern := strings.ToUpper(method) + " " + path
			documented = append(documented, pattern)
			req := httptest.NewRequest(strings.ToUpper(method), param.ReplaceAllString(path, "x-1"), nil)
			_, got := s.mux.Handler(req)
			assert.Equal(t, pattern, got, "the mux routes %s %s", method, path)
		}
	}
	var registered []string
	for _, rt := range s.routes {
		registered = append(registered, rt.method+" "+rt.path)
	}
	sort.Strings(documented)
	sort.Strings(registered)
	assert.Equal(t, registered, documented)

	// A made-up route is not routed to any documented pattern.
	_, got := s.mux.Handler(httptest.NewRequest("POST", "/v1/tickets/x/commands/expire_deadline", nil))
	assert.NotContains(t, documented, got)
}

// TestOpenAPILint holds the document to what a linter asks of it: servers;
// every operation with an id, a summary, no catch-all default answer, its
// 4xx answers listed, 401 on every operation that needs a token, 500, and
// every problem answer narrowed to its codes (readyz's 503 is its
// Readiness body).
func TestOpenAPILint(t *testing.T) {
	var doc struct {
		Servers []struct {
			URL string `json:"url"`
		} `json:"servers"`
		Paths map[string]map[string]struct {
			OperationID string            `json:"operationId"`
			Summary     string            `json:"summary"`
			Security    *[]map[string]any `json:"security"`
			Responses   map[string]struct {
				Description string `json:"description"`
				Content     map[string]struct {
					Schema struct {
						AllOf []struct {
							Properties map[string]struct {
								Enum []any `json:"enum"`
							} `json:"properties"`
						} `json:"allOf"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(openAPIDoc, &doc))
	require.NotEmpty(t, doc.Servers)
	ids := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			where := method + " " + path
			assert.NotEmpty(t, op.OperationID, where)
			assert.False(t, ids[op.OperationID], "%s: operationId %s twice", where, op.OperationID)
			ids[op.OperationID] = true
			assert.NotEmpty(t, op.Summary, where)
			assert.NotContains(t, op.Responses, "default", "%s: every status is listed", where)
			assert.Contains(t, op.Responses, "500", where)
			public := op.Security != nil && len(*op.Security) == 0
			if !public {
				assert.Contains(t, op.Responses, "401", where)
			}
			var fourxx int
			for status, res := range op.Responses {
				assert.NotEmpty(t, res.Description, "%s %s", where, status)
				problem, isProblem := res.Content["application/problem+json"]
				if (status[0] == '4' || status[0] == '5') && op.OperationID != "readyz" { // not ready is a Readiness body
					fourxx += map[bool]int{true: 1}[status[0] == '4']
					require.True(t, isProblem, "%s %s is a problem", where, status)
					require.Len(t, problem.Schema.AllOf, 2, "%s %s", where, status)
					assert.NotEmpty(t, problem.Schema.AllOf[1].Properties["code"].Enum, "%s %s lists its codes", where, status)
				}
			}
			if !public || strings.Contains(path, "/v1/") {
				assert.NotZero(t, fourxx, "%s lists its 4xx answers", where)
			}
		}
	}
}
