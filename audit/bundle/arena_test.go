package bundle

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Events are decoded in place in the arena's blocks: a line handed out must
// never change afterwards, whatever is copied after it — lines filling a
// block, a line longer than a block, a line appended to by its reader.
func TestArenaLinesNeverChange(t *testing.T) {
	old := SetArenaSize(64)
	defer SetArenaSize(old)
	var (
		a    arena
		want [][]byte
		got  [][]byte
	)
	for i := range 200 {
		text := []byte(fmt.Sprintf("%d:%s\r\n", i, bytes.Repeat([]byte{'a' + byte(i%26)}, i%150)))
		line := a.copyLine(text)
		require.Equal(t, string(bytes.TrimRight(text, "\r\n")), string(line))
		assert.Equal(t, len(line), cap(line), "line %d: appending to it would write into the next", i)
		_ = append(line, "clobber"...)
		text[0] = '!' // the reader's buffer is reused
		want = append(want, bytes.Clone(line))
		got = append(got, line)
	}
	for i := range got {
		assert.Equal(t, string(want[i]), string(got[i]), "line %d changed after it was handed out", i)
	}
}
