package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Events are decoded in place in the blocks the bundle is read into: a
// line handed out must read the same to the end, whatever is read after
// it — lines filling a block, a line across blocks, a line longer than a
// block, a line its reader appends to — and however the input arrives.
func TestLinesNeverChange(t *testing.T) {
	old := arenaSize
	arenaSize = 64
	defer func() { arenaSize = old }()
	var (
		input strings.Builder
		want  []string
	)
	for i := range 200 {
		line := fmt.Sprintf("%d:%s", i, strings.Repeat(string(rune('a'+i%26)), i%150))
		want = append(want, line)
		input.WriteString(line)
		if i%3 == 0 {
			input.WriteString("\r")
		}
		input.WriteString("\n")
	}
	input.WriteString("last, without its end")
	want = append(want, "last, without its end")

	for name, r := range map[string]func() io.Reader{
		"whole":         func() io.Reader { return strings.NewReader(input.String()) },
		"a byte a time": func() io.Reader { return iotest.OneByteReader(strings.NewReader(input.String())) },
		"half reads":    func() io.Reader { return iotest.HalfReader(strings.NewReader(input.String())) },
		"EOF with data": func() io.Reader { return iotest.DataErrReader(strings.NewReader(input.String())) },
	} {
		t.Run(name, func(t *testing.T) {
			lr := lineReader{r: r()}
			var got [][]byte
			for {
				line, ok, err := lr.next()
				require.NoError(t, err)
				if !ok {
					break
				}
				assert.Equal(t, len(line), cap(line), "line %d: appending to it would write into the next", len(got))
				_ = append(line, "clobber"...)
				got = append(got, line)
			}
			require.Len(t, got, len(want))
			for i := range got {
				assert.Equal(t, want[i], string(got[i]), "line %d changed after it was handed out", i)
			}
		})
	}
}

// A read error ends the lines after those read before it, and is returned.
func TestLinesReadError(t *testing.T) {
	failed := errors.New("disk gone")
	lr := lineReader{r: io.MultiReader(strings.NewReader("one\ntwo\nthr"), iotest.ErrReader(failed))}
	var got []string
	for {
		line, ok, err := lr.next()
		if !ok {
			require.ErrorIs(t, err, failed)
			break
		}
		got = append(got, string(bytes.Clone(line)))
	}
	assert.Equal(t, []string{"one", "two", "thr"}, got)
}

// A line is every byte between two line feeds but the carriage returns
// that end it: a NUL, a carriage return inside it, bytes that are not
// UTF-8 and an empty line are handed out as they are, so that a hostile
// bundle's odd bytes reach the decoder, which refuses them, rather than
// being split or dropped on the way.
func TestLinesKeepTheirOddBytes(t *testing.T) {
	old := arenaSize
	arenaSize = 8
	defer func() { arenaSize = old }()
	for _, tc := range []struct {
		input string
		want  []string
	}{
		{"a\x00b\nc\n", []string{"a\x00b", "c"}},
		{"a\rb\r\n\r\n", []string{"a\rb", ""}},
		{"\n\n\nx", []string{"", "", "", "x"}},
		{"\xff\xfe\n\x00", []string{"\xff\xfe", "\x00"}},
		{"{\"kind\":\"event\"}\x00\n", []string{"{\"kind\":\"event\"}\x00"}},
		{"ends in a bare CR\r", []string{"ends in a bare CR"}},
		{"two CRs\r\r\nnext", []string{"two CRs\r", "next"}}, // only one belongs to the line end
		{"", nil},
	} {
		lr := lineReader{r: iotest.HalfReader(strings.NewReader(tc.input))}
		var got []string
		for {
			line, ok, err := lr.next()
			require.NoError(t, err)
			if !ok {
				break
			}
			got = append(got, string(line))
		}
		assert.Equal(t, tc.want, got, "%q", tc.input)
	}
}
