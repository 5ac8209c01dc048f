package httpapi

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadBodyReadsItWhole: whatever length the request declares — none,
// the body's, less, more, past the bound — the whole body is read, in
// one read or a byte at a time; a failed read is reported.
func TestReadBodyReadsItWhole(t *testing.T) {
	const body = `{"data":{"text":"hello"}}`
	for _, length := range []int64{-1, 0, 1, int64(len(body)) - 1, int64(len(body)), int64(len(body)) + 1, 1 << 20} {
		for name, r := range map[string]io.Reader{"one read": strings.NewReader(body), "a byte at a time": iotest.OneByteReader(strings.NewReader(body))} {
			got, err := readBody(r, length, 1<<10)
			require.NoError(t, err, "%s, length %d", name, length)
			assert.Equal(t, body, string(got), "%s, length %d", name, length)
		}
	}
	_, err := readBody(iotest.ErrReader(assert.AnError), 10, 1<<10)
	assert.ErrorIs(t, err, assert.AnError)
	for _, length := range []int64{preallocBody + 1, 1 << 20} {
		got, err := readBody(strings.NewReader(body), length, 1<<20)
		require.NoError(t, err)
		assert.Less(t, cap(got), int(preallocBody), "a declared length of %d, with little sent, is not held", length)
	}
}
