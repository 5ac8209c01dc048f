package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeBlocks returns the bodies of the README's fenced blocks in the
// given language, in order.
func readmeBlocks(t *testing.T, lang string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	fence := regexp.MustCompile("(?ms)^```" + lang + "\n(.*?)^```")
	var blocks []string
	for _, m := range fence.FindAllStringSubmatch(string(raw), -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// readmeCommands returns the README's command lines as exec takes them:
// each json block must be exactly one line of valid JSON.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	blocks := readmeBlocks(t, "json")
	require.NotEmpty(t, blocks, "the README shows what a command line looks like")
	var lines []string
	for _, b := range blocks {
		line := strings.TrimSuffix(b, "\n")
		require.NotContains(t, line, "\n", "exec reads one command a line, so a README command is one line:\n%s", b)
		require.True(t, json.Valid([]byte(line)), "README command is not valid JSON: %s", line)
		lines = append(lines, line)
	}
	return lines
}

// TestReadmeCommandsRun feeds the README's JSON commands, in order, to exec
// on a fresh ledger: each is accepted and recorded.
func TestReadmeCommandsRun(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ledger.db")
	for _, line := range readmeCommands(t) {
		code, out, errOut := runCLI(t, line+"\n", "exec", "--db", db)
		require.Equal(t, 0, code, "README command refused: %s\n%s%s", line, out, errOut)
		var outcome execOutcome
		require.NoError(t, json.Unmarshal([]byte(out), &outcome))
		assert.True(t, outcome.OK, "README command recorded: %s", line)
	}
}

// TestReadmeShellLinesRun runs every line of the README's sh blocks that
// starts with `disputes exec`, `disputes show` or `disputes history`, in
// order, against a fresh ledger: commands.jsonl holds the README's JSON
// commands and $AT the second step's time, as the README explains. Each must
// exit 0, so an unknown flag, a missing argument or an example that shows
// nothing fails here.
func TestReadmeShellLinesRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"ledger.db":      filepath.Join(dir, "ledger.db"),
		"commands.jsonl": filepath.Join(dir, "commands.jsonl"),
	}
	require.NoError(t, os.WriteFile(files["commands.jsonl"], []byte(strings.Join(readmeCommands(t), "\n")+"\n"), 0o644))

	ran := map[string]int{}
	for _, block := range readmeBlocks(t, "sh") {
		for _, line := range strings.Split(block, "\n") {
			if !strings.HasPrefix(line, "disputes exec ") && !strings.HasPrefix(line, "disputes show ") && !strings.HasPrefix(line, "disputes history ") {
				continue
			}
			args, err := shellWords(line)
			require.NoError(t, err, line)
			for i, a := range args {
				if p, ok := files[a]; ok {
					args[i] = p
				}
				if a == "$AT" {
					args[i] = secondStepTime(t, files["ledger.db"], args[len(args)-1])
				}
			}
			code, out, errOut := runCLI(t, "", args[1:]...)
			require.Equal(t, 0, code, "README line failed: %s\n%s%s", line, out, errOut)
			if strings.Contains(line, "--as-of") && !strings.Contains(line, "--json") {
				assert.Contains(t, out, "(2 of ", "the README's as-of example shows the ticket after its second step")
			}
			ran[args[1]]++
		}
	}
	for _, sub := range []string{"exec", "show", "history"} {
		assert.Positive(t, ran[sub], "the README shows disputes %s", sub)
	}
}

// secondStepTime is what the README's jq picks from history --json: the
// second step's effective_at.
func secondStepTime(t *testing.T, db, ticket string) string {
	t.Helper()
	code, out, errOut := runCLI(t, "", "history", "--db", db, "--json", ticket)
	require.Equal(t, 0, code, errOut)
	var steps []struct {
		EffectiveAt string `json:"effective_at"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &steps))
	require.GreaterOrEqual(t, len(steps), 2, "the README's commands make at least two steps")
	return steps[1].EffectiveAt
}

// shellWords splits a README shell line into words the way sh would for the
// simple lines the README has: quotes group, a # after a space starts a
// comment. A line with an unclosed quote is an error.
func shellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '#' && !inWord:
			return words, nil
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed %c quote in %q", quote, line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
