package httpapi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadModelResponseShapes pins the read side's answers in golden files
// under testdata/shapes: the same rows and names the CLI prints (status,
// next_deadline, event_type; cmd/disputes/testdata/shapes), snake_case
// keys, money in fen, durations in seconds, times in RFC 3339 UTC. Event
// ids and hashes, random per run, are replaced by placeholders.
// go test ./edge/httpapi -run TestReadModelResponseShapes -update rewrites them.
func TestReadModelResponseShapes(t *testing.T) {
	t.Parallel()
	l := newLedger(t, options{projector: true})
	buyer, merchant := l.as("buyer:b-1"), l.as("merchant:m-1")
	buyer.ok("T-1", "open_ticket", "o-1", openData("m-1"))
	l.clock.Advance(3 * 60 * 60 * 1e9)
	merchant.ok("T-1", "reject", "r-1", map[string]any{"reason": "人为损坏"})
	l.waitProjected()
	auditor := l.as("auditor:au-1")
	for _, c := range []struct{ golden, path string }{
		{"tickets.json", "/v1/tickets"},
		{"audit.json", "/v1/tickets/T-1/audit"},
		{"scores.json", "/v1/merchants/scores?as_of=2026-12-31T00:00:00Z"},
	} {
		res := auditor.get(c.path)
		require.Equal(t, http.StatusOK, res.status, string(res.body))
		var pretty bytes.Buffer
		require.NoError(t, json.Indent(&pretty, res.body, "", "  "))
		got := placeholders(pretty.String()) + "\n"
		golden := filepath.Join("testdata", "shapes", c.golden)
		if updating() {
			require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
			require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
		}
		want, err := os.ReadFile(golden)
		require.NoError(t, err)
		assert.Equal(t, string(want), got, c.golden)
		assertSnakeCase(t, c.golden, res.body)
	}
}

// updating reads the package's -update flag (openapi_test.go's, which the
// golden files here share).
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

var (
	randomUUID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	randomHash = regexp.MustCompile(`\b[0-9a-f]{64}\b`)
	snakeCase  = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
)

func placeholders(s string) string {
	return randomHash.ReplaceAllString(randomUUID.ReplaceAllString(s, "<uuid>"), "<sha256>")
}

// assertSnakeCase checks every object key of a JSON document is snake_case.
func assertSnakeCase(t *testing.T, name string, doc []byte) {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(doc, &v))
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				assert.Regexp(t, snakeCase, k, "%s: key %q", name, k)
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
}
