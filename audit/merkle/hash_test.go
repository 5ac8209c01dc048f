package merkle

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHashTextRoundTrip(t *testing.T) {
	t.Parallel()
	h := LeafHash([]byte("event"))
	text, err := h.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, h.String(), string(text))
	assert.Len(t, text, 64)
	assert.Equal(t, strings.ToLower(string(text)), string(text))

	parsed, err := ParseHash(strings.ToUpper(string(text)))
	require.NoError(t, err)
	assert.Equal(t, h, parsed, "upper-case hex parses to the same hash")

	js, err := json.Marshal(struct{ Root Hash }{h})
	require.NoError(t, err)
	assert.JSONEq(t, `{"Root":"`+h.String()+`"}`, string(js))
	var back struct{ Root Hash }
	require.NoError(t, json.Unmarshal(js, &back))
	assert.Equal(t, h, back.Root)
}

func TestHashUnmarshalRejectsMalformed(t *testing.T) {
	t.Parallel()
	valid := EmptyRoot().String()
	tests := map[string]string{
		"empty":      "",
		"too short":  valid[:62],
		"too long":   valid + "00",
		"not hex":    "zz" + valid[2:],
		"odd digits": valid[:63],
		"whitespace": " " + valid[1:],
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := LeafHash([]byte("unchanged"))
			err := h.UnmarshalText([]byte(text))
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrMalformedHash)
			assert.Equal(t, LeafHash([]byte("unchanged")), h, "a failed parse leaves the hash unchanged")

			_, err = ParseHash(text)
			assert.ErrorIs(t, err, ErrMalformedHash)
		})
	}
}

func TestLeafAndNodeHashesAreDomainSeparated(t *testing.T) {
	t.Parallel()
	// A leaf whose data is the concatenation of two hashes must not hash
	// like the node with those children.
	a, b := LeafHash([]byte("a")), LeafHash([]byte("b"))
	assert.NotEqual(t, NodeHash(a, b), LeafHash(append(a[:], b[:]...)))
}
