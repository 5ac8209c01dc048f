package console

import (
	"context"
	"crypto/ed25519"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/eventstore"
)

// Prefix is the path the console is served under.
const Prefix = "/console/"

//go:embed templates static
var assets embed.FS

// Config sets a Console up. Store, Handler and Auth are required.
type Config struct {
	// Store is read for a ticket's state and timeline, as the API reads it.
	Store eventstore.Store
	// Handler runs the forms' commands: the API's command path.
	Handler *commands.Handler
	// Auth checks the token given at sign-in, and again on every request.
	Auth auth.Authenticator
	// Reads serves the queue, ticket lists and merchant scores; without it
	// those pages say the read models are not running.
	Reads httpapi.ReadModel
	// Events serves the live event stream the pages refresh from: the
	// API's GET /v1/events, called with the session's token. Nil: no live
	// refresh.
	Events http.Handler
	// Audit is what the auditor page verifies and exports; nil: the page
	// says verification is not available on this server.
	Audit *AuditSource
	// Policy is the policy commands are decided under (the counterfeit
	// compensation a ruling form shows, working-time deadlines).
	Policy policy.Policy
	// Now is the ledger's clock (time left, overdue deadlines, scores).
	// Default time.Now.
	Now func() time.Time
	// Logger receives refused sign-ins and failed pages. Default slog.Default().
	Logger *slog.Logger
	// CommandTimeout bounds one form's command. The command runs detached
	// from the request's cancellation, as the API's do: a browser that
	// goes away mid-submit does not leave the outcome unknown. Default 10s.
	CommandTimeout time.Duration
	// SecureCookies marks the session cookie Secure even on plain HTTP, for
	// a console behind a proxy that terminates TLS. Over TLS it always is.
	SecureCookies bool
	// SessionIdle and SessionLifetime end a session unused for that long,
	// or that old. Defaults 30m and 12h. MaxSessions bounds the sessions
	// kept (default 10,000; the least recently used goes first).
	SessionIdle, SessionLifetime time.Duration
	MaxSessions                  int
}

// AuditSource is what the auditor page reads: the raw global log (a reader
// that shows a damaged log as it is), the seal store, the policy versions
// the ledger has run under, and the seal key the server trusts.
type AuditSource struct {
	Log      audit.Log
	Seals    audit.SealStore
	Policies audit.PolicySet
	// PublicKey is the seal key to pin; nil verifies with the key stored
	// beside the seals, and the page says so.
	PublicKey ed25519.PublicKey
}

// Console is the browser console. It is an http.Handler for the paths
// under Prefix.
type Console struct {
	cfg      Config
	sessions *sessions
	pages    map[string]*pageTemplate
	mux      *http.ServeMux
	root     http.Handler
	log      *slog.Logger
}

// New returns the console over cfg.
func New(cfg Config) (*Console, error) {
	if cfg.Store == nil || cfg.Handler == nil || cfg.Auth == nil {
		return nil, errors.New("console: Store, Handler and Auth are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.CommandTimeout <= 0 {
		cfg.CommandTimeout = 10 * time.Second
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = 30 * time.Minute
	}
	if cfg.SessionLifetime <= 0 {
		cfg.SessionLifetime = 12 * time.Hour
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = 10_000
	}
	if cfg.Policy.Version == "" {
		cfg.Policy = policy.Default()
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	c := &Console{cfg: cfg, sessions: newSessions(cfg.MaxSessions, cfg.SessionIdle, cfg.SessionLifetime),
		pages: pages, mux: http.NewServeMux(), log: cfg.Logger}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, err
	}
	c.mux.Handle("GET "+Prefix+"static/", http.StripPrefix(Prefix+"static/", staticFiles(static)))
	c.mux.HandleFunc("GET "+Prefix+"signin", c.signInPage)
	c.mux.HandleFunc("POST "+Prefix+"signin", c.signIn)
	c.mux.Handle("POST "+Prefix+"signout", c.signedIn(c.signOut))
	c.mux.Handle("GET "+Prefix+"{$}", c.signedIn(c.list))
	c.mux.Handle("GET "+Prefix+"tickets/{ticket_id}", c.signedIn(c.ticket))
	c.mux.Handle("POST "+Prefix+"tickets/{ticket_id}/{command}", c.signedIn(c.act))
	c.mux.Handle("GET "+Prefix+"merchants/{merchant_id}", c.signedIn(c.merchant))
	c.mux.Handle("GET "+Prefix+"audit/{ticket_id}", c.signedIn(c.auditPage))
	c.mux.Handle("GET "+Prefix+"audit/{ticket_id}/bundle", c.signedIn(c.auditBundle))
	c.mux.Handle("GET "+Prefix+"events", c.signedIn(c.events))
	c.mux.Handle(Prefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.notFound(w, r, nil)
	}))
	// Cross-origin POSTs are refused before anything else (Sec-Fetch-Site
	// and Origin): the sign-in form has no session to hold a CSRF token yet.
	cop := http.NewCrossOriginProtection()
	c.root = c.observe(securityHeaders(cop.Handler(c.mux)))
	return c, nil
}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.root.ServeHTTP(w, r) }

// Mount returns a handler serving the console under Prefix, api everywhere
// else, and redirecting GET / to the console: what `disputes serve` listens
// with.
func Mount(api http.Handler, c *Console) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", api)
	mux.Handle(Prefix, c)
	mux.Handle("GET /{$}", http.RedirectHandler(Prefix, http.StatusSeeOther))
	return mux
}

// securityHeaders sets what every console answer carries: a content
// security policy allowing nothing from anywhere but this server (and no
// inline script), no framing, no referrer, no sniffing, no caching.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if h.Get("Cache-Control") == "" {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// staticFiles serves the embedded assets; they may be cached briefly.
func staticFiles(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		files.ServeHTTP(w, r)
	})
}

type principalKey struct{}
type sessionKey struct{}

// signedIn requires a live session whose token still authenticates as the
// same principal, and for a POST the session's CSRF token in the form.
// Without one a GET is sent to the sign-in page and anything else refused.
func (c *Console) signedIn(next func(http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := cookieValue(r)
		sess, ok := c.sessions.get(id, time.Now())
		if ok {
			p, err := c.cfg.Auth.Authenticate(r.Context(), sess.token)
			if err != nil || p != sess.principal {
				c.log.Info("console session ended: its token no longer authenticates", "principal", sess.principal.String(), "err", err)
				c.sessions.end(id)
				ok = false
			}
		}
		if !ok {
			http.SetCookie(w, c.sessionCookie(r, "", -1))
			if r.Method == http.MethodGet && r.Header.Get("Accept") != "text/event-stream" {
				http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
				return
			}
			c.errorPage(w, r, http.StatusUnauthorized, words{"请先登录。", "Sign in first."})
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if !sess.validCSRF(r.PostFormValue("csrf")) {
				c.errorPage(w, r, http.StatusForbidden, words{"表单缺少有效的防伪令牌（CSRF），已拒绝。请从控制台页面重新提交。",
					"The form carries no valid anti-forgery (CSRF) token and was refused. Submit it again from a console page."})
				return
			}
		}
		notePrincipal(r.Context(), sess.principal.String())
		ctx := context.WithValue(r.Context(), sessionKey{}, sess)
		ctx = context.WithValue(ctx, principalKey{}, sess.principal)
		next(w, r.WithContext(ctx))
	})
}

// maxFormBytes bounds a form's body.
const maxFormBytes = 64 << 10

func principalOf(r *http.Request) auth.Principal {
	p, _ := r.Context().Value(principalKey{}).(auth.Principal)
	return p
}

func sessionOf(r *http.Request) *session {
	s, _ := r.Context().Value(sessionKey{}).(*session)
	return s
}
