package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openedLedger is a ledger holding ticket T-1, opened by the buyer.
func openedLedger(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "ledger.db")
	code, _, errOut := runCLI(t, strings.SplitN(execInput, "\n", 2)[0]+"\n", "exec", "--db", db, "--client-time")
	require.Equal(t, 0, code, errOut)
	return db
}

// TestFlagsAnywhere: flags may follow the arguments (`show T-1 --db x` was
// refused), and the answer is the same either way.
func TestFlagsAnywhere(t *testing.T) {
	t.Parallel()
	db := openedLedger(t)
	code, before, errOut := runCLI(t, "", "show", "--db", db, "--json", "T-1")
	require.Equal(t, 0, code, errOut)
	code, after, errOut := runCLI(t, "", "show", "T-1", "--db", db, "--json")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, after, `"ticket_id": "T-1"`)
	assert.JSONEq(t, stripNow(before), stripNow(after))

	code, _, errOut = runCLI(t, "", "history", "T-1", "--json", "--db", db)
	assert.Equal(t, 0, code, errOut)
	code, _, errOut = runCLI(t, "", "project", "--db", db)
	require.Equal(t, 0, code, errOut)
	code, out, errOut := runCLI(t, "", "query", "tickets", "--db", db, "--format", "csv")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "T-1")
}

// stripNow drops the lines that depend on the moment of the call.
func stripNow(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, "remaining") && !strings.Contains(l, "as_of") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// TestEnvironmentSetsFlags: DISPUTES_DB chooses the ledger when --db is
// not given, and --db wins over it.
func TestEnvironmentSetsFlags(t *testing.T) {
	db := openedLedger(t)
	t.Setenv("DISPUTES_DB", db)
	code, out, errOut := runCLI(t, "", "show", "T-1")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "T-1")
	code, _, errOut = runCLI(t, "", "show", "T-1", "--db", filepath.Join(t.TempDir(), "other.db"))
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "other.db")
}

// leafCommand is a runnable command of the model and the words that name it.
type leafCommand struct {
	path []string
	node *kong.Node
}

func leafCommands(t *testing.T) []leafCommand {
	t.Helper()
	p, err := newParser(env{})
	require.NoError(t, err)
	var out []leafCommand
	var walk func(n *kong.Node, path []string)
	walk = func(n *kong.Node, path []string) {
		leaf := true
		for _, c := range n.Children {
			if c.Type == kong.CommandNode {
				leaf = false
				walk(c, append(append([]string{}, path...), c.Name))
			}
		}
		if leaf && len(path) > 0 {
			out = append(out, leafCommand{path, n})
		}
	}
	walk(p.Model.Node, nil)
	require.Greater(t, len(out), 20)
	return out
}

// TestHelpNamesEveryEnvironmentVariable: each command's --help shows the
// environment variable of every flag that has one, --store lists its three
// schemes, and "help CMD" prints the same as "CMD --help".
func TestHelpNamesEveryEnvironmentVariable(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, c := range leafCommands(t) {
		code, help, errOut := runCLI(t, "", append(append([]string{}, c.path...), "--help")...)
		require.Equal(t, 0, code, "%v: %s", c.path, errOut)
		code, viaHelp, _ := runCLI(t, "", append([]string{"help"}, c.path...)...)
		require.Equal(t, 0, code, "help %v", c.path)
		assert.Equal(t, help, viaHelp, "help %v", c.path)
		oneLine := strings.Join(strings.Fields(help), " ")
		for _, group := range c.node.AllFlags(true) {
			for _, f := range group {
				for _, v := range f.Tag.Envs {
					assert.Contains(t, oneLine, "$"+v, "%v --help names the environment variable of --%s", c.path, f.Name)
					seen[v] = true
				}
				if f.Name == "store" {
					for _, scheme := range []string{"sqlite:PATH", "postgres://", "kurrentdb://"} {
						assert.Contains(t, oneLine, scheme, "%v --help: --store lists its schemes", c.path)
					}
				}
			}
		}
	}
	for _, v := range []string{"DISPUTES_DB", "DISPUTES_STORE", "DISPUTES_POLICY", "DISPUTES_PROJECTIONS", "DISPUTES_TOKENS",
		"DISPUTES_ADDR", "DISPUTES_METRICS_ADDR", "DISPUTES_NATS", "DISPUTES_ORIGIN", "DISPUTES_CHECKPOINTS"} {
		assert.True(t, seen[v], "some flag reads $%s", v)
	}
}

// TestExecHelpPointsToTheCatalogue: exec's help names the command catalogue
// (docs/commands.md) both ways of asking.
func TestExecHelpPointsToTheCatalogue(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help", "exec"}, {"exec", "--help"}} {
		code, out, errOut := runCLI(t, "", args...)
		require.Equal(t, 0, code, errOut)
		assert.Contains(t, strings.ReplaceAll(out, "\n", " "), "docs/commands.md", "%v", args)
	}
}

// TestCompletion: the scripts are written from the command tree, and the
// bash one completes commands, subcommands and flags (after arguments too).
func TestCompletion(t *testing.T) {
	t.Parallel()
	code, _, errOut := runCLI(t, "", "completion", "tcsh")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "bash")

	code, fish, _ := runCLI(t, "", "completion", "fish")
	require.Equal(t, 0, code)
	assert.Contains(t, fish, "complete -c disputes -f -n '__fish_use_subcommand' -a show")
	assert.Contains(t, fish, "-n '__fish_seen_subcommand_from tokens; and __fish_seen_subcommand_from add' -l role -r")
	assert.Contains(t, fish, "-n '__fish_seen_subcommand_from forward' -l no-follow")

	code, zsh, _ := runCLI(t, "", "completion", "zsh")
	require.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(zsh, "#compdef disputes\n"))

	code, script, _ := runCLI(t, "", "completion", "bash")
	require.Equal(t, 0, code)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash to run the completion script in")
	}
	file := filepath.Join(t.TempDir(), "disputes.bash")
	require.NoError(t, os.WriteFile(file, []byte(script), 0o600))
	tests := []struct{ line, want string }{
		{"disputes sh", "show"},
		{"disputes show --j", "--json"},
		{"disputes show T-1 --d", "--db"},
		{"disputes tokens a", "add"},
		{"disputes tokens add --r", "--role"},
		{"disputes query m", "merchants"},
		{"disputes query merchants --fl", "--flagged"},
		{"disputes forward --no-f", "--no-follow"},
		{"disputes completion ", ""},
	}
	for _, tc := range tests {
		cmd := exec.Command(bash, "--norc", "-c", `source "$1"; read -ra COMP_WORDS <<< "$2"; [[ $2 == *" " ]] && COMP_WORDS+=("");
COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _disputes; echo "${COMPREPLY[*]}"`, "bash", file, tc.line)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Equal(t, tc.want, strings.TrimSpace(string(out)), tc.line)
	}
}
