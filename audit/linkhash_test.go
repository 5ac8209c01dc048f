package audit

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestLinkHashIsExactlyTheHashSet holds linkHash, the copy of a stream's
// last hash the chain check keeps, to string equality with what was set:
// a hex SHA-256, an empty hash, and a longer one read from an event that
// did not decode, each against near misses.
func TestLinkHashIsExactlyTheHashSet(t *testing.T) {
	t.Parallel()
	sum := strings.Repeat("ab", 32)
	long := sum + "00"
	tests := []struct {
		name, set string
		other     []string
	}{
		{"sha256", sum, []string{"", sum[:63], sum + "0", strings.Repeat("ab", 31) + "ac", long}},
		{"empty", "", []string{"0", sum}},
		{"longer than a sha256", long, []string{"", sum, long + "0", long[:65] + "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var h linkHash
			h.set("ff") // set twice: the second replaces the first entirely
			h.set(tt.set)
			assert.True(t, h.is(tt.set))
			assert.Equal(t, tt.set, h.String())
			for _, o := range tt.other {
				assert.False(t, h.is(o), "%q is not %q", o, tt.set)
			}
		})
	}
	var h linkHash
	h.set(long)
	h.set(sum)
	assert.True(t, h.is(sum), "a longer hash set before is forgotten")
}
