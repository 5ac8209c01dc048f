package events_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/events"
)

func TestNothingAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		data string
		want bool
	}{
		{`{}`, true},
		{"{} \t\r\n", true},
		{`{"a":[1,2]}`, true},
		{`{}]`, false}, // Decoder.More says false here
		{`{} }`, false},
		{"{}\n]", false},
		{`{} {}`, false},
		{`{}x`, false},
		{"{}\u00a0", false}, // not JSON whitespace
	}
	for _, tc := range tests {
		t.Run(tc.data, func(t *testing.T) {
			dec := json.NewDecoder(bytes.NewReader([]byte(tc.data)))
			var v any
			require.NoError(t, dec.Decode(&v))
			assert.Equal(t, tc.want, events.NothingAfter(dec, []byte(tc.data)))
		})
	}
}
