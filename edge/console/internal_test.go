package console

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// A refusal is shown in words: every code the command path can answer has
// them, in both languages, so a new refusal cannot reach the page as a code.
func TestEveryCodeHasWords(t *testing.T) {
	for _, code := range commands.Codes() {
		w, ok := refusalWords[code]
		if assert.True(t, ok, "no words for %s", code) {
			assert.NotEmpty(t, w.Zh, code)
			assert.NotEmpty(t, w.En, code)
		}
	}
	for _, s := range domain.Statuses() {
		assert.NotEmpty(t, statusWords[s].Zh, s)
	}
	for _, k := range events.DeadlineKinds() {
		assert.NotEmpty(t, deadlineWords[k].Zh, k)
	}
}

func TestParseYuan(t *testing.T) {
	for _, tc := range []struct {
		in   string
		fen  int64
		fail bool
	}{
		{"", 0, false}, {"0", 0, false}, {"12", 1200, false}, {"12.5", 1250, false}, {"12.50", 1250, false},
		{"¥129.00", 12900, false}, {" 7.05 ", 705, false},
		{"12.505", 0, true}, {"-1", 0, true}, {"1e3", 0, true}, {".5", 0, true}, {"1,000", 0, true}, {"9999999999999", 0, true},
	} {
		got, err := parseYuan(tc.in)
		if tc.fail {
			assert.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.fen, got, tc.in)
	}
}

func TestYuan(t *testing.T) {
	assert.Equal(t, "¥129.00", yuan(12900))
	assert.Equal(t, "¥0.05", yuan(5))
	assert.Equal(t, "¥-1.50", yuan(-150))
}

func TestRefusalOfAStaleForm(t *testing.T) {
	r := refusalOf(commands.ErrRevisionMismatch)
	assert.True(t, r.Stale)
	assert.Equal(t, "revision_mismatch", r.Code)
	assert.Contains(t, r.Words.En, "Someone else acted")
}
