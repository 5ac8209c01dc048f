package sqlread

import (
	"context"
	"errors"
	"math"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUsable(t *testing.T) {
	errClosed := errors.New("closed")
	open, closed := make(chan struct{}), make(chan struct{})
	close(closed)
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	assert.NoError(t, Usable(context.Background(), open, errClosed))
	assert.ErrorIs(t, Usable(context.Background(), closed, errClosed), errClosed)
	assert.ErrorIs(t, Usable(ended, open, errClosed), context.Canceled)
	assert.ErrorIs(t, Usable(ended, closed, errClosed), context.Canceled, "the caller's context first")
}

func TestClampInt64(t *testing.T) {
	for _, tc := range []struct {
		in   uint64
		want int64
	}{
		{0, 0},
		{42, 42},
		{math.MaxInt64, math.MaxInt64},
		{math.MaxInt64 + 1, math.MaxInt64},
		{math.MaxUint64, math.MaxInt64},
	} {
		assert.Equal(t, tc.want, ClampInt64(tc.in), "%d", tc.in)
	}
}

func TestInitialCap(t *testing.T) {
	for _, tc := range []struct{ limit, want int }{
		{-1, 16}, {0, 16}, {1, 1}, {512, 512}, {1024, 1024}, {1025, 16},
	} {
		assert.Equal(t, tc.want, InitialCap(tc.limit), "limit %d", tc.limit)
	}
}

func TestGapless(t *testing.T) {
	g := GaplessAfter(4)
	require.NoError(t, g.Check(5))
	require.NoError(t, g.Check(6))
	err := g.Check(8)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "position 8 where 7 was due")

	g = GaplessAfter(10)
	assert.Error(t, g.Check(10), "the position read after must not come back")

	g = GaplessAfter(math.MaxUint64) // clamped, not wrapped to 0
	assert.Error(t, g.Check(0))
	g = GaplessAfter(math.MaxUint64)
	assert.NoError(t, g.Check(math.MaxInt64+1))
}

func TestInterner(t *testing.T) {
	var in Interner
	a := in.Get([]byte("stream-1"))
	buf := []byte("stream-1")
	b := in.Get(buf)
	buf[0] = 'X' // the interned string does not alias the caller's bytes
	assert.Equal(t, "stream-1", a)
	assert.Equal(t, "stream-1", b)
	assert.Same(t, unsafe.StringData(a), unsafe.StringData(b), "one string for equal values")
	assert.NotSame(t, unsafe.StringData(a), unsafe.StringData(in.Get([]byte("stream-2"))))
}
