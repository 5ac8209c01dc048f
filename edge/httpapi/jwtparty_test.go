package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/events"
)

// TestCachedJWTOnAnotherPartysTicket: party X's JWT, once the verifier
// remembers it, and party Y's, remembered too, each stay their own party.
// Y's token reads and writes nothing of X's ticket (404, nothing
// recorded), however often either token was answered from memory, and X's
// still reads it after Y's tries.
func TestCachedJWTOnAnotherPartysTicket(t *testing.T) {
	t.Parallel()
	l := newLedger(t, options{})
	exp := t0.Add(365 * 24 * time.Hour).Unix()
	jwtFor := func(role events.Role, id string) client {
		tok, err := auth.SignJWT(auth.Claims{Subject: id, Role: role, ExpiresAt: &exp, Issuer: "test-idp"}, hmacKey)
		require.NoError(t, err)
		return client{l: l, token: tok, name: string(role) + ":" + id + " (JWT)"}
	}
	x, y, otherMerchant := jwtFor(events.RoleBuyer, "b-1"), jwtFor(events.RoleBuyer, "b-2"), jwtFor(events.RoleMerchant, "m-2")
	x.ok("T-1", "open_ticket", "c-open", openData("m-1"))
	head := l.head()

	probes := []struct {
		who    client
		method string
		path   string
		status int
		data   map[string]any
	}{
		{x, "GET", "/v1/tickets/T-1", http.StatusOK, nil},
		{y, "GET", "/v1/tickets/T-1", http.StatusNotFound, nil},
		{y, "GET", "/v1/tickets/T-1/history", http.StatusNotFound, nil},
		{otherMerchant, "GET", "/v1/tickets/T-1", http.StatusNotFound, nil},
		{y, "POST", "post_message", http.StatusNotFound, map[string]any{"text": "not yours"}},
		{y, "POST", "withdraw", http.StatusNotFound, map[string]any{"note": "not yours"}},
		{otherMerchant, "POST", "reject", http.StatusNotFound, map[string]any{"reason": "not yours"}},
		{x, "GET", "/v1/tickets/T-1/history", http.StatusOK, nil},
	}
	for round := range 3 { // the later rounds are answered from the verifier's memory
		for i, p := range probes {
			var res response
			if p.method == "GET" {
				res = p.who.get(p.path)
			} else {
				res = p.who.command("T-1", p.path, fmt.Sprintf("c-probe-%d-%d", i, round), p.data)
			}
			assert.Equal(t, p.status, res.status, "round %d: %s %s %s: %s", round, p.who.name, p.method, p.path, res.body)
		}
	}
	assert.Equal(t, head, l.head(), "another party's token recorded nothing")
}
