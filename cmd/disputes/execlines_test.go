package main

import (
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExecGoesOnAfterAnOversizedLine: a 300 KiB line between two good ones
// fails alone, as that line's error, and the line after it is recorded.
func TestExecGoesOnAfterAnOversizedLine(t *testing.T) {
	t.Parallel()
	lines := strings.Split(execInput, "\n")
	open, reject := lines[0], lines[1]
	huge := `{"command_id":"big","ticket_id":"T-1","actor":{"role":"buyer","id":"b-1"},"command":"post_message","at":"2026-11-02T03:00:00Z","data":{"text":"` +
		strings.Repeat("x", 300<<10) + `"}}`
	db := filepath.Join(t.TempDir(), "ledger.db")

	code, out, _ := runCLI(t, open+"\n"+huge+"\n"+reject+"\n", "exec", "--db", db, "--client-time")
	assert.Equal(t, 1, code, "one line failed: exit 1")
	var got []execOutcome
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var o execOutcome
		require.NoError(t, json.Unmarshal([]byte(l), &o), l)
		got = append(got, o)
	}
	require.Len(t, got, 3, "one result per line")
	assert.True(t, got[0].OK)
	assert.Equal(t, 2, got[1].Line)
	assert.False(t, got[1].OK)
	assert.Equal(t, "validation", got[1].Kind)
	assert.Contains(t, got[1].Error, "limit 262144")
	assert.Less(t, len(got[1].Error), 200, "the error does not echo the line")
	assert.True(t, got[2].OK, "the line after the oversized one runs: %+v", got[2])
	assert.Equal(t, 3, got[2].Line)
	assert.Equal(t, "rejected", got[2].Status)

	// With --stop-on-error the oversized line is where exec stops.
	db = filepath.Join(t.TempDir(), "ledger.db")
	code, out, _ = runCLI(t, open+"\n"+huge+"\n"+reject+"\n", "exec", "--db", db, "--client-time", "--stop-on-error")
	assert.Equal(t, 1, code)
	assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 2)
}

func TestLineReader(t *testing.T) {
	t.Parallel()
	const limit = 4
	type line struct {
		text string // "" for a dropped line
		size int
	}
	tests := []struct {
		name  string
		input string
		want  []line
	}{
		{"plain", "ab\ncd\n", []line{{"ab", 2}, {"cd", 2}}},
		{"crlf and no final newline", "ab\r\ncd", []line{{"ab", 2}, {"cd", 2}}},
		{"exactly the limit", "abcd\n", []line{{"abcd", 4}}},
		{"one over the limit", "abcde\nok\n", []line{{"", 5}, {"ok", 2}}},
		{"over the limit at the end", "ok\nabcdefgh", []line{{"ok", 2}, {"", 8}}},
		{"blank lines kept", "\n\nx\n", []line{{"", 0}, {"", 0}, {"x", 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lr := newLineReader(strings.NewReader(tc.input), limit)
			var got []line
			for {
				raw, size, err := lr.next()
				if errors.Is(err, io.EOF) {
					break
				}
				require.NoError(t, err)
				if size > limit {
					assert.Nil(t, raw, "an oversized line is dropped")
				}
				got = append(got, line{string(raw), size})
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestLineReaderOverTheBufferSize: a line longer than the reader's buffer
// is still measured whole and the next line read intact.
func TestLineReaderOverTheBufferSize(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("y", 200<<10)
	lr := newLineReader(strings.NewReader(big+"\nnext\n"), 100<<10)
	raw, size, err := lr.next()
	require.NoError(t, err)
	assert.Nil(t, raw)
	assert.Equal(t, len(big), size)
	raw, size, err = lr.next()
	require.NoError(t, err)
	assert.Equal(t, "next", string(raw))
	assert.Equal(t, 4, size)
}

// TestExecRefusesMemberNamesInAnotherCase: exec parses its lines with the
// command API's parser, so a member name in another case or twice in one
// object is that line's validation error, not a different command.
func TestExecRefusesMemberNamesInAnotherCase(t *testing.T) {
	t.Parallel()
	open := strings.Split(execInput, "\n")[0]
	bad := []string{
		`{"command_id":"m-1","ticket_id":"T-1","actor":{"role":"buyer","id":"b-1"},"command":"post_message","at":"2026-11-02T03:00:00Z","data":{"text":"ok","Text":"x"}}`,
		`{"command_id":"m-2","ticket_id":"T-1","actor":{"role":"buyer","id":"b-1"},"command":"post_message","at":"2026-11-02T03:00:00Z","data":{"text":"ok","text":"x"}}`,
	}
	db := filepath.Join(t.TempDir(), "ledger.db")
	code, out, _ := runCLI(t, open+"\n"+strings.Join(bad, "\n")+"\n", "exec", "--db", db, "--client-time")
	assert.Equal(t, 1, code)
	var got []execOutcome
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var o execOutcome
		require.NoError(t, json.Unmarshal([]byte(l), &o), l)
		got = append(got, o)
	}
	require.Len(t, got, 3)
	assert.True(t, got[0].OK)
	for i, field := range []string{"data.Text", "data.text"} {
		assert.False(t, got[i+1].OK)
		assert.Equal(t, "validation", got[i+1].Kind)
		assert.True(t, strings.HasPrefix(got[i+1].Error, field+":"), got[i+1].Error)
	}
}
