package auth_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/events"
)

// swappedKeys is a key provider whose set a test replaces, as a reload does.
type swappedKeys struct{ cur atomic.Pointer[auth.KeySet] }

func (s *swappedKeys) Current() *auth.KeySet { return s.cur.Load() }

func keysOf(s *auth.KeySet) *swappedKeys {
	k := &swappedKeys{}
	k.cur.Store(s)
	return k
}

// withoutHMAC is the test keys less the HS256 ones: a rotation that
// removes a key.
func withoutHMAC() *auth.KeySet {
	k := sharedKeys
	return must(auth.NewKeySet(must(auth.EdDSAKey("", k.ed.Public().(ed25519.PublicKey))),
		must(auth.EdDSAKey("ed-1", k.ed.Public().(ed25519.PublicKey))), must(auth.RS256Key("rsa-1", &k.rsa.PublicKey))))
}

// cachePair is a remembering verifier and one that verifies every time,
// on the same keys and clock.
type cachePair struct {
	now                 time.Time
	keys                *swappedKeys
	remembering, always *auth.JWTVerifier
}

func newCachePair(size int) *cachePair {
	p := &cachePair{now: jwtNow, keys: keysOf(sharedKeys.set)}
	clock := func() time.Time { return p.now }
	p.remembering = &auth.JWTVerifier{Keys: p.keys, Issuer: "idp", Audience: "disputes", Leeway: 30 * time.Second,
		MaxLifetime: 24 * time.Hour, Now: clock, CacheSize: size}
	p.always = &auth.JWTVerifier{Keys: p.keys, Issuer: "idp", Audience: "disputes", Leeway: 30 * time.Second,
		MaxLifetime: 24 * time.Hour, Now: clock, CacheSize: -1}
	return p
}

// TestJWTCacheNeverAcceptsWhatVerifyRefuses is the attacker's view of the
// cache: over a long random walk of requests with tokens that verify,
// expire, are not yet valid, are tampered with or signed by a key that a
// rotation removes, while the clock moves forward and back and the key set
// is reloaded (with the same keys or without one) and the issuer changes,
// the remembering verifier answers every request exactly as a verifier
// that verifies every token every time.
func TestJWTCacheNeverAcceptsWhatVerifyRefuses(t *testing.T) {
	t.Parallel()
	p := newCachePair(8)
	k := sharedKeys
	claims := func(f func(*auth.Claims)) auth.Claims { c := goodClaims(); f(&c); return c }
	valid := sign(t, goodClaims(), "", k.hmac)
	tokens := []string{
		valid,
		sign(t, goodClaims(), "ed-1", k.ed),
		sign(t, goodClaims(), "rsa-1", k.rsa),
		sign(t, claims(func(c *auth.Claims) { c.Subject = "m-2" }), "hs-1", k.hmac),
		sign(t, claims(func(c *auth.Claims) { c.ExpiresAt = unix(jwtNow.Add(3 * time.Minute)) }), "", k.hmac),
		sign(t, claims(func(c *auth.Claims) { c.ExpiresAt = unix(jwtNow.Add(10 * time.Minute)) }), "", k.ed),
		sign(t, claims(func(c *auth.Claims) { c.NotBefore = unix(jwtNow.Add(5 * time.Minute)) }), "", k.hmac),
		sign(t, claims(func(c *auth.Claims) { c.IssuedAt = unix(jwtNow.Add(4 * time.Minute)) }), "", k.ed),
		sign(t, claims(func(c *auth.Claims) { c.IssuedAt = unix(jwtNow.Add(-23 * time.Hour)) }), "", k.hmac),
		sign(t, claims(func(c *auth.Claims) { c.Issuer = "other" }), "", k.hmac),
		sign(t, goodClaims(), "", k.otherEd),
		valid[:len(valid)-2] + "AA",
	}
	keySets := []*auth.KeySet{sharedKeys.set, withoutHMAC(), must(auth.NewKeySet())}
	rng := rand.New(rand.NewPCG(18, 64))
	accepted, refused := 0, 0
	for step := range 4000 {
		switch r := rng.IntN(100); {
		case r < 20:
			p.now = p.now.Add(time.Duration(rng.IntN(120)) * time.Second)
		case r < 25:
			p.now = p.now.Add(-time.Duration(rng.IntN(600)) * time.Second)
		case r < 27:
			p.now = jwtNow
		case r < 30: // a reload: the same keys again, or a set without one, or none
			set := keySets[rng.IntN(len(keySets))]
			if rng.IntN(2) == 0 {
				set = sharedKeys.set
			}
			p.keys.cur.Store(set)
		case r < 31:
			p.keys.cur.Store(must(auth.NewKeySet(must(auth.HS256Key("", k.hmac)), must(auth.EdDSAKey("ed-1", k.ed.Public().(ed25519.PublicKey))))))
		case r < 33: // the issuer changes on both
			iss := []string{"idp", "other"}[rng.IntN(2)]
			p.remembering.Issuer, p.always.Issuer = iss, iss
		}
		tok := tokens[rng.IntN(len(tokens))]
		got, gotErr := p.remembering.Authenticate(context.Background(), tok)
		want, wantErr := p.always.Authenticate(context.Background(), tok)
		require.Equal(t, wantErr == nil, gotErr == nil, "step %d at %s: remembered %v, verified %v", step, p.now, gotErr, wantErr)
		require.Equal(t, want, got, "step %d", step)
		if wantErr == nil {
			accepted++
		} else {
			refused++
		}
	}
	assert.Greater(t, accepted, 200, "the walk accepted tokens")
	assert.Greater(t, refused, 200, "the walk refused tokens")
	assert.LessOrEqual(t, auth.RememberedTokens(p.remembering), 8)
}

// TestJWTCacheRefusesOnceInvalid: a token answered from memory is refused
// as soon as Verify would refuse it — past its expiry, before its iat
// after the clock went back, after a reload removed its key — and a copy
// of it with one byte changed is never taken for it.
func TestJWTCacheRefusesOnceInvalid(t *testing.T) {
	t.Parallel()
	k := sharedKeys
	ctx := context.Background()
	short := goodClaims()
	short.ExpiresAt = unix(jwtNow.Add(2 * time.Minute))
	tok := sign(t, short, "", k.hmac)

	p := newCachePair(0)
	want := auth.Principal{Role: events.RoleMerchant, ID: "m-1"}
	for range 3 {
		got, err := p.remembering.Authenticate(ctx, tok)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	assert.Equal(t, 1, auth.RememberedTokens(p.remembering))

	tampered := []byte(tok)
	tampered[len(tampered)/2] ^= 1
	_, err := p.remembering.Authenticate(ctx, string(tampered))
	require.ErrorIs(t, err, auth.ErrUnauthenticated, "a changed byte")

	p.now = jwtNow.Add(2*time.Minute + 31*time.Second) // past exp and the 30 s leeway
	_, err = p.remembering.Authenticate(ctx, tok)
	require.ErrorIs(t, err, jwt.ErrTokenExpired)
	require.ErrorIs(t, err, auth.ErrUnauthenticated)
	assert.Equal(t, 0, auth.RememberedTokens(p.remembering), "an expired token is forgotten")

	p.now = jwtNow
	_, err = p.remembering.Authenticate(ctx, tok)
	require.NoError(t, err)
	p.now = jwtNow.Add(-31 * time.Second) // the clock went back: iat is now in the future
	_, err = p.remembering.Authenticate(ctx, tok)
	require.ErrorIs(t, err, jwt.ErrTokenUsedBeforeIssued)

	p.now = jwtNow
	_, err = p.remembering.Authenticate(ctx, tok)
	require.NoError(t, err)
	p.keys.cur.Store(withoutHMAC()) // the HS256 key is rotated out
	_, err = p.remembering.Authenticate(ctx, tok)
	require.ErrorIs(t, err, auth.ErrUnauthenticated, "a token whose key was removed")
}

// TestJWTCacheIsBoundedAndConcurrent: many tokens at once from many
// goroutines are all answered right, and at most CacheSize are kept.
func TestJWTCacheIsBoundedAndConcurrent(t *testing.T) {
	t.Parallel()
	p := newCachePair(16)
	toks := make([]string, 64)
	for i := range toks {
		c := goodClaims()
		c.Subject = fmt.Sprintf("m-%d", i)
		toks[i] = sign(t, c, "", sharedKeys.hmac)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 400 {
				n := (g*31 + i*7) % len(toks)
				got, err := p.remembering.Authenticate(context.Background(), toks[n])
				if err != nil || got.ID != fmt.Sprintf("m-%d", n) {
					errs <- fmt.Errorf("token %d: %v, %v", n, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.LessOrEqual(t, auth.RememberedTokens(p.remembering), 16)
	assert.Equal(t, 0, auth.RememberedTokens(p.always), "a negative CacheSize remembers nothing")
}

// BenchmarkJWTAuthenticate: the same EdDSA token on every request,
// verified every time and remembered.
//
//	go test -run '^$' -bench JWTAuthenticate -benchmem ./edge/auth/
func BenchmarkJWTAuthenticate(b *testing.B) {
	tok, err := auth.SignJWT(goodClaims(), sharedKeys.ed)
	require.NoError(b, err)
	for _, tc := range []struct {
		name string
		size int
	}{{"verify every time", -1}, {"remembered", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			v := verifier()
			v.CacheSize = tc.size
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Authenticate(context.Background(), tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
