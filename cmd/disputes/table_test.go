package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/mattn/go-runewidth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestTableLaysOutASCIIAsTabwriterDoes holds tableWriter to text/tabwriter's
// column rules wherever every character is one column wide, so switching the
// CLI's tables to it changed nothing but the width of wide characters.
func TestTableLaysOutASCIIAsTabwriterDoes(t *testing.T) {
	t.Parallel()
	inputs := map[string]string{
		"empty":             "",
		"one line":          "a\tbb\tccc\n",
		"header and rows":   "REV\tWHEN\tWHO\n0\t2026-11-02 10:00\tbuyer:b-1\n12\tx\tmerchant:m-1\n",
		"ragged rows":       "a\tb\tc\td\nlong cell\tb\nx\ty\tz\tw\tv\n",
		"interrupted block": "k\tv\nno tabs here at all\nkey two\tv2\n",
		"empty cells":       "Deadlines\tfirst\n\tsecond\n\t\tthird\n",
		"no final newline":  "a\tb\nccc\td",
	}
	for name, in := range inputs {
		for _, right := range []bool{false, true} {
			var want, got bytes.Buffer
			flags := uint(0)
			if right {
				flags = tabwriter.AlignRight
			}
			tw := tabwriter.NewWriter(&want, 0, 0, 2, ' ', flags)
			_, err := tw.Write([]byte(in))
			require.NoError(t, err)
			require.NoError(t, tw.Flush())
			tt := newTable(&got, right)
			_, err = tt.Write([]byte(in))
			require.NoError(t, err)
			require.NoError(t, tt.Flush())
			assert.Equal(t, want.String(), got.String(), "%s (align right: %v)", name, right)
		}
	}
}

// chineseTicket opens a ticket, and the merchant answers in Chinese (a
// message, then a rejection's reason), at fixed times, so history prints a
// stable table whose WHAT column holds wide characters. (Ids are ASCII by
// rule, so the Chinese is in the free text.)
const chineseTicket = `{"command_id":"c1","ticket_id":"T-1","actor":{"role":"buyer","id":"b-1"},"command":"open_ticket","at":"2026-11-02T02:00:00Z","data":{"order_id":"O-1","merchant_id":"m-hz-1","kind":"return_refund","reason":"quality","currency":"CNY","amount_paid":19900,"requested":19900,"order_shipped":true,"delivered_at":"2026-10-30T02:00:00Z"}}
{"command_id":"c2","ticket_id":"T-1","actor":{"role":"merchant","id":"m-hz-1"},"command":"post_message","at":"2026-11-02T03:00:00Z","data":{"text":"明天下午三点前寄出"}}
{"command_id":"c3","ticket_id":"T-1","actor":{"role":"merchant","id":"m-hz-1"},"command":"reject","at":"2026-11-02T05:00:00Z","data":{"reason":"人为损坏"}}
`

// TestHistoryTableAlignsChinese prints a history whose actors and messages
// are Chinese (two terminal columns per character) and checks the golden
// file, then that every column starts at the same display offset in every
// row of the timeline as in its header.
func TestHistoryTableAlignsChinese(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ledger.db")
	code, out, errOut := runCLI(t, chineseTicket, "exec", "--db", db, "--client-time")
	require.Equal(t, 0, code, "%s%s", out, errOut)
	code, out, errOut = runCLI(t, "", "history", "--db", db, "--as-of", "2026-11-02T06:00:00Z", "T-1")
	require.Equal(t, 0, code, errOut)
	// Event ids are random, so the chain's hash differs on every run.
	out = regexp.MustCompile(`last hash [0-9a-f]+`).ReplaceAllString(out, "last hash HASH")

	golden := filepath.Join("testdata", "history_chinese.golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, []byte(out), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), out)
	assert.Contains(t, out, "明天下午三点前寄出")
	assert.Contains(t, out, "人为损坏")

	timeline := timelineBlock(t, out)
	header := timeline[0]
	var starts []int
	for _, name := range []string{"WHEN", "WHO", "WHAT", "STATE AFTER"} {
		i := strings.Index(header, name)
		require.GreaterOrEqual(t, i, 0, "header names %s", name)
		starts = append(starts, runewidth.StringWidth(header[:i]))
	}
	require.Len(t, timeline, 4, "header and three events")
	for _, line := range timeline[1:] {
		for _, start := range starts {
			before, at := splitAtWidth(line, start)
			assert.True(t, strings.HasSuffix(before, "  "), "two spaces before the column at %d in %q", start, line)
			assert.False(t, strings.HasPrefix(at, " "), "a cell starts at display offset %d in %q", start, line)
		}
	}
}

// timelineBlock returns the lines of the first table in a history: from the
// REV header to the first blank line.
func timelineBlock(t *testing.T, out string) []string {
	t.Helper()
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "REV") {
			end := i
			for end < len(lines) && lines[end] != "" {
				end++
			}
			return lines[i:end]
		}
	}
	t.Fatalf("no timeline header in %q", out)
	return nil
}

// splitAtWidth splits s where its display width reaches width; a wide
// character straddling that point falls into the second part.
func splitAtWidth(s string, width int) (before, rest string) {
	w := 0
	for i, r := range s {
		if w >= width {
			return s[:i], s[i:]
		}
		w += runewidth.RuneWidth(r)
	}
	return s, ""
}
