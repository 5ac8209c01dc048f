package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/events"
)

// TestJWTCacheKeepsEachTokenItsOwnParty is the other party's view of the
// cache: with tokens for several parties remembered at once, a request
// presenting token B is answered with B's principal and never with A's
// (a party's ticket is scoped by that principal downstream), and a token
// spliced from A's claims and B's signature, or B's claims and A's, is
// refused even though both halves came from remembered tokens.
func TestJWTCacheKeepsEachTokenItsOwnParty(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := sharedKeys
	claimsOf := func(role events.Role, id string, exp time.Duration) auth.Claims {
		c := goodClaims()
		c.Role, c.Subject, c.ExpiresAt = role, id, unix(jwtNow.Add(exp))
		return c
	}
	parties := []struct {
		name  string
		token string
		want  auth.Principal
	}{
		{"buyer X", sign(t, claimsOf(events.RoleBuyer, "b-1", time.Hour), "", k.hmac), auth.Principal{Role: events.RoleBuyer, ID: "b-1"}},
		{"buyer Y", sign(t, claimsOf(events.RoleBuyer, "b-2", time.Hour), "", k.hmac), auth.Principal{Role: events.RoleBuyer, ID: "b-2"}},
		{"merchant of X's order", sign(t, claimsOf(events.RoleMerchant, "m-1", time.Hour), "", k.hmac), auth.Principal{Role: events.RoleMerchant, ID: "m-1"}},
		{"buyer X, Ed25519", sign(t, claimsOf(events.RoleBuyer, "b-1", 2*time.Hour), "ed-1", k.ed), auth.Principal{Role: events.RoleBuyer, ID: "b-1"}},
		{"buyer Y, short-lived", sign(t, claimsOf(events.RoleBuyer, "b-2", 2*time.Minute), "", k.hmac), auth.Principal{Role: events.RoleBuyer, ID: "b-2"}},
	}
	p := newCachePair(0)
	for round := range 3 { // the first round fills the cache; the others are answered from it
		for _, party := range parties {
			got, err := p.remembering.Authenticate(ctx, party.token)
			require.NoError(t, err, "round %d: %s", round, party.name)
			assert.Equal(t, party.want, got, "round %d: %s", round, party.name)
		}
	}
	require.Equal(t, len(parties), auth.RememberedTokens(p.remembering))

	split := func(tok string) (string, string) {
		i := strings.LastIndexByte(tok, '.')
		return tok[:i], tok[i:]
	}
	for i, a := range parties {
		for j, b := range parties {
			if i == j {
				continue
			}
			claimsA, _ := split(a.token)
			_, sigB := split(b.token)
			spliced := claimsA + sigB
			_, wantErr := p.always.Authenticate(ctx, spliced)
			require.Error(t, wantErr, "%s's claims with %s's signature verify?", a.name, b.name)
			_, err := p.remembering.Authenticate(ctx, spliced)
			require.ErrorIs(t, err, auth.ErrUnauthenticated, "%s's claims with %s's signature", a.name, b.name)
		}
	}

	// Once buyer Y's short token expires it is refused from memory, and
	// the others still answer as themselves.
	p.now = jwtNow.Add(3 * time.Minute)
	for _, party := range parties {
		got, err := p.remembering.Authenticate(ctx, party.token)
		if party.name == "buyer Y, short-lived" {
			require.ErrorIs(t, err, auth.ErrUnauthenticated)
			continue
		}
		require.NoError(t, err, party.name)
		assert.Equal(t, party.want, got, party.name)
	}
}
