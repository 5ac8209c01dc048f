package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/projections/views"
)

// TestCommandResponsesDoNotShareBuffers: many answers written at once, of
// sizes on both sides of the pooled buffer's bound and of net/http's write
// buffer, each arrive exactly as writeJSON encodes their own response:
// no answer carries another's bytes, though the buffers are reused (run
// under -race, a buffer handed on while still being written is reported).
func TestCommandResponsesDoNotShareBuffers(t *testing.T) {
	t.Parallel()
	responseFor := func(n int) CommandResponse {
		id := fmt.Sprintf("T-%d", n)
		// Event sizes from a few bytes to past maxPooledResponse.
		text := strings.Repeat(strconv.Itoa(n%10), (n%7)*(maxPooledResponse/5))
		event := json.RawMessage(fmt.Sprintf(`{"id":%q,"text":%q}`, id, text))
		return CommandResponse{TicketID: id, CommandID: fmt.Sprintf("c-%d", n), Revision: uint64(n),
			Events: []json.RawMessage{event}, Ticket: views.TicketView{TicketID: id, Description: text}}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeCommandResponse(w, http.StatusCreated, responseFor(n))
	}))
	defer srv.Close()

	const requests, clients = 300, 16
	var wg sync.WaitGroup
	next := make(chan int)
	for range clients {
		wg.Go(func() {
			for n := range next {
				var want bytes.Buffer
				enc := json.NewEncoder(&want)
				enc.SetEscapeHTML(false)
				if !assert.NoError(t, enc.Encode(responseFor(n))) {
					continue
				}
				resp, err := srv.Client().Get(srv.URL + "?n=" + strconv.Itoa(n))
				if !assert.NoError(t, err) {
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				require.NoError(t, err)
				assert.Equal(t, http.StatusCreated, resp.StatusCode)
				if !assert.True(t, bytes.Equal(want.Bytes(), body), "answer %d: %d bytes, want %d", n, len(body), want.Len()) {
					return
				}
			}
		})
	}
	for n := range requests {
		next <- n
	}
	close(next)
	wg.Wait()
}
