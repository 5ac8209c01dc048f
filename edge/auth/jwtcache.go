package auth

import (
	"crypto/sha256"
	"sync"
)

// DefaultJWTCacheSize is how many verified tokens a JWTVerifier remembers
// unless told otherwise.
const DefaultJWTCacheSize = 4096

// verifiedTokens remembers tokens that verified, by the SHA-256 of the
// token (the tokens themselves, which are secrets, are not kept), so that
// checking a signature (an HMAC, or an Ed25519, ECDSA or RSA verification
// after parsing the token's JSON) is done once per token rather than once
// per request. A remembered token is accepted only if everything it was
// verified against is still what Verify would use and its claims still
// hold now:
//
//   - the key set in force is the very one it verified under (a reload
//     makes a new set, so a rotated or removed key is never trusted from
//     memory);
//   - its claims pass again, at the time now and under the verifier's
//     settings now, every check of the claims Verify makes ("iss", "aud",
//     "exp", "nbf" and "iat" with the leeway, and the lifetime bound), so
//     an expired token is refused as Verify would refuse it, and a clock
//     set back is no way around "nbf" or "iat" either.
//
// What is not checked again (the signature, the algorithm and the key it
// names, the claims' spelling, the principal) depends only on the token's
// bytes and the key set.
//
// Only tokens that verified are remembered: a refused token is verified
// again every time. The set is bounded; when full, an arbitrary entry
// makes room, which costs only a verification later. It is safe for
// concurrent use.
type verifiedTokens struct {
	mu      sync.Mutex
	max     int
	entries map[[sha256.Size]byte]verifiedToken
}

// verifiedToken is what a token verified to, and under what.
type verifiedToken struct {
	keys      *KeySet
	claims    Claims
	principal Principal
}

// remembered returns the verifier's set of verified tokens, or nil when
// it keeps none.
func (v *JWTVerifier) remembered() *verifiedTokens {
	v.cacheOnce.Do(func() {
		size := v.CacheSize
		if size == 0 {
			size = DefaultJWTCacheSize
		}
		if size > 0 {
			v.cache = &verifiedTokens{max: size, entries: make(map[[sha256.Size]byte]verifiedToken)}
		}
	})
	return v.cache
}

// verifyRemembered is Verify, answered from the verified tokens when the
// token is among them under the same keys.
func (v *JWTVerifier) verifyRemembered(token string) (Principal, error) {
	keys, now, err := v.prepare(token)
	if err != nil {
		return Principal{}, err
	}
	cache := v.remembered()
	if cache == nil {
		p, _, err := v.verify(token, keys, now)
		return p, err
	}
	id := sha256.Sum256([]byte(token))
	if e, ok := cache.get(id); ok && e.keys == keys {
		if err := v.recheck(e.claims, now); err != nil {
			cache.forget(id)
			return Principal{}, err
		}
		return e.principal, nil
	}
	p, c, err := v.verify(token, keys, now)
	if err != nil {
		return Principal{}, err
	}
	cache.put(id, verifiedToken{keys: keys, claims: c, principal: p})
	return p, nil
}

func (c *verifiedTokens) get(id [sha256.Size]byte) (verifiedToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	return e, ok
}

func (c *verifiedTokens) put(id [sha256.Size]byte, e verifiedToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[id]; !ok && len(c.entries) >= c.max {
		for old := range c.entries {
			delete(c.entries, old)
			break
		}
	}
	c.entries[id] = e
}

func (c *verifiedTokens) forget(id [sha256.Size]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, id)
}

// len returns how many tokens are remembered.
func (c *verifiedTokens) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
