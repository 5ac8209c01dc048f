package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/edge/httpapi"
)

// TestCommandAnswersAreWhatEncodingJSONWrites: real answers of recorded
// and duplicate commands, with text that encoding/json would escape for
// HTML or that is not ASCII, read back into a CommandResponse and encoded again by
// encoding/json are the same bytes, and go out with their length.
func TestCommandAnswersAreWhatEncodingJSONWrites(t *testing.T) {
	t.Parallel()
	l := newLedger(t, options{})
	buyer, merchant := l.as("buyer:b-1"), l.as("merchant:m-1")
	answers := []response{
		buyer.command("T-1", "open_ticket", "c-open", openData("m-1")),
		buyer.command("T-1", "open_ticket", "c-open", openData("m-1")), // a replay
		merchant.command("T-1", "reject", "c-reject", map[string]any{"reason": "人为损坏 <a href=\"x\">&amp;</a>"}),
	}
	l.clock.Advance(time.Hour)
	answers = append(answers, buyer.command("T-1", "post_message", "c-msg", map[string]any{"text": "还在吗？ <3 & \"ok\""}))
	for i, res := range answers {
		require.Equal(t, http.StatusCreated, res.status, "answer %d: %s", i, res.body)
		var r httpapi.CommandResponse
		res.json(t, &r)
		var again bytes.Buffer
		enc := json.NewEncoder(&again)
		enc.SetEscapeHTML(false)
		require.NoError(t, enc.Encode(r))
		assert.Equal(t, again.String(), string(res.body), "answer %d", i)
		assert.Equal(t, strconv.Itoa(len(res.body)), res.header.Get("Content-Length"), "answer %d", i)
	}
	assert.Equal(t, "true", answers[1].header.Get("Idempotent-Replayed"))
}
