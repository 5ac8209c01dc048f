package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/disputes-ledger/disputes/edge/auth"
)

// cookieName is the session cookie. It holds only a random session id: the
// token stays on the server, so script in a page (there is none but ours)
// could not read it even without HttpOnly.
const cookieName = "disputes_console"

// session is one signed-in browser. The token is kept so that every
// request authenticates it again: a token removed from the token file, or
// a JWT past its expiry, ends the session at once.
type session struct {
	token     string
	principal auth.Principal
	csrf      string
	created   time.Time
	lastSeen  time.Time
}

// sessions are kept in memory, by the SHA-256 of the cookie value. They do
// not survive a restart and are not shared between replicas: signing in
// again is the cost, and a leaked store holds no usable cookie.
type sessions struct {
	mu       sync.Mutex
	byHash   map[[32]byte]*session
	max      int
	idle     time.Duration
	lifetime time.Duration
}

func newSessions(max int, idle, lifetime time.Duration) *sessions {
	return &sessions{byHash: map[[32]byte]*session{}, max: max, idle: idle, lifetime: lifetime}
}

// create starts a session and returns its cookie value.
func (s *sessions) create(token string, p auth.Principal, now time.Time) (string, *session) {
	id := randomToken()
	sess := &session{token: token, principal: p, csrf: randomToken(), created: now, lastSeen: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
	if len(s.byHash) >= s.max {
		// Full: the least recently seen session makes room.
		var oldest [32]byte
		var at time.Time
		for h, o := range s.byHash {
			if at.IsZero() || o.lastSeen.Before(at) {
				oldest, at = h, o.lastSeen
			}
		}
		delete(s.byHash, oldest)
	}
	s.byHash[sha256.Sum256([]byte(id))] = sess
	return id, sess
}

// get returns the live session of a cookie value.
func (s *sessions) get(id string, now time.Time) (*session, bool) {
	if id == "" {
		return nil, false
	}
	h := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.byHash[h]
	if !ok {
		return nil, false
	}
	if s.expired(sess, now) {
		delete(s.byHash, h)
		return nil, false
	}
	sess.lastSeen = now
	return sess, true
}

// end forgets a session.
func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byHash, sha256.Sum256([]byte(id)))
}

func (s *sessions) expired(sess *session, now time.Time) bool {
	return now.Sub(sess.lastSeen) > s.idle || now.Sub(sess.created) > s.lifetime
}

func (s *sessions) sweepLocked(now time.Time) {
	for h, sess := range s.byHash {
		if s.expired(sess, now) {
			delete(s.byHash, h)
		}
	}
}

// validCSRF reports whether a form's CSRF token is the session's.
func (sess *session) validCSRF(given string) bool {
	return given != "" && subtle.ConstantTimeCompare([]byte(given), []byte(sess.csrf)) == 1
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sessionCookie is the cookie that carries a session id: HttpOnly,
// SameSite=Strict (no cross-site request carries it, so no other site can
// act with it), Secure when the console is reached over TLS, and scoped to
// the console's paths.
func (c *Console) sessionCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: cookieName, Value: value, Path: Prefix, MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil || c.cfg.SecureCookies}
}

func cookieValue(r *http.Request) string {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return ""
	}
	return ck.Value
}
