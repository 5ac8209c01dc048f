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
	assert.True(t, bytes.Equal(want, got), "openapi.json is stale: go test ./httpapi -run TestOpenAPI -update")
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
