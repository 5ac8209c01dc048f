package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/disputes-ledger/disputes/events"
)

// Principal is an authenticated caller.
type Principal struct {
	Role events.Role
	ID   string
}

// Actor returns the principal as the actor of the commands it issues.
func (p Principal) Actor() events.Actor { return events.Actor{Role: p.Role, ID: p.ID} }

func (p Principal) String() string { return p.Actor().String() }

// ErrUnauthenticated is returned (wrapped) when a token is missing, unknown,
// malformed, expired or badly signed. The wrapped detail is for logs; a
// client learns only that it is not authenticated.
var ErrUnauthenticated = errors.New("not authenticated")

// ErrSystemRole is returned (wrapped) for a token or token-file entry that
// claims the system role, which only the in-process scheduler holds.
var ErrSystemRole = errors.New("the system role is never granted to a token")

// Authenticator maps a bearer token to a principal. Implementations are
// safe for concurrent use.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Principal, error)
}

// checkPrincipal refuses principals no token may carry.
func checkPrincipal(p Principal) error {
	if p.Role == events.RoleSystem {
		return ErrSystemRole
	}
	if !p.Role.Valid() {
		return fmt.Errorf("%q is not a role", p.Role)
	}
	if p.ID == "" || len(p.ID) > 128 {
		return fmt.Errorf("id must be 1 to 128 bytes, got %d", len(p.ID))
	}
	for _, r := range p.ID {
		// The same alphabet commands.Validate allows in actor ids, so a
		// principal can always act.
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:@", r)) {
			return fmt.Errorf("id %q may only hold letters, digits and - _ . : @", p.ID)
		}
	}
	return nil
}

// Chain tries opaque tokens first and signed tokens second: a JWT has two
// dots, an opaque token from NewToken has none, so at most one of them is
// ever consulted for a given token.
type Chain struct {
	Tokens TokenProvider // may be nil
	JWT    *JWTVerifier  // may be nil
}

// TokenProvider gives the opaque-token set in force now. *TokenSet and a
// Reloader of token sets implement it.
type TokenProvider interface {
	Current() *TokenSet
}

// Authenticate implements Authenticator.
func (c Chain) Authenticate(ctx context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, fmt.Errorf("%w: no bearer token", ErrUnauthenticated)
	}
	if strings.Count(token, ".") == 2 {
		if c.JWT == nil {
			return Principal{}, fmt.Errorf("%w: signed tokens are not configured", ErrUnauthenticated)
		}
		return c.JWT.Authenticate(ctx, token)
	}
	if c.Tokens == nil {
		return Principal{}, fmt.Errorf("%w: no token file configured", ErrUnauthenticated)
	}
	return c.Tokens.Current().Authenticate(ctx, token)
}
