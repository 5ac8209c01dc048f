package httpapi_test

import (
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/edge/httpapi"
)

func TestCheckpointIsServedPubliclyAsText(t *testing.T) {
	t.Parallel()
	note := []byte("example.com/ledger\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— example.com/ledger AAAA\n")
	var served atomic.Bool
	l := newLedger(t, options{cfg: func(c *httpapi.Config) {
		c.Checkpoint = func() ([]byte, bool) { return note, served.Load() }
	}})

	get := func() *http.Response {
		// No Authorization header: witnesses have no account.
		resp, err := http.Get(l.srv.URL + "/v1/checkpoint")
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := get()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "nothing sealed yet")
	assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))

	served.Store(true)
	resp = get()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, note, body, "byte for byte what the sealer signed")
}

func TestNoCheckpointWithoutASealer(t *testing.T) {
	t.Parallel()
	l := newLedger(t, options{})
	resp, err := http.Get(l.srv.URL + "/v1/checkpoint")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}
