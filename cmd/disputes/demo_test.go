package main

import (
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/internal/testenv"
)

// TestDemo runs the README's main job on the embedded default and, with
// --store, on PostgreSQL (read models stay in the --db file): the same
// disputes end the same way on both.
func TestDemo(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			args := []string{"demo", "--db", filepath.Join(t.TempDir(), "demo.db"), "--tickets", "30"}
			if backend == "postgres" {
				url, _ := testenv.PostgresSchema(t)
				args = append(args, "--store", url)
			}
			code, out, errOut := runCLI(t, "", args...)
			require.Equal(t, 0, code, errOut)
			assert.Contains(t, out, "Commands refused by the rules: 0.")
			assert.Contains(t, out, "counterfeit ruled with ten-fold compensation")
			assert.Contains(t, out, "merchant (+8990.00 CNY compensation)")
			assert.Contains(t, out, "Merchant penalty scores")
			assert.Contains(t, out, "ruling final: buyer_favoured, liability merchant")
			if backend == "postgres" {
				assert.Contains(t, out, "ledger postgres://")
				return
			}
			// The closing hint's --as-of is a moment of this run: following it
			// shows the ticket after its second step, not an empty history.
			hint := regexp.MustCompile(`disputes history --db (\S+) --as-of '([^']+)' (\S+)`).FindStringSubmatch(out)
			require.NotNil(t, hint, "the demo ends with a history --as-of hint")
			code, hist, errOut := runCLI(t, "", "history", "--db", hint[1], "--as-of", hint[2], hint[3])
			require.Equal(t, 0, code, errOut)
			assert.Contains(t, hist, "(2 of ", "as of the second step's time, two events had happened")
		})
	}
}
