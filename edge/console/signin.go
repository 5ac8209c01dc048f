package console

import (
	"net/http"
	"strings"
	"time"
)

// signInBody is the sign-in page's body.
type signInBody struct {
	Refused bool
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "signin", words{"登录", "Sign in"}, signInBody{})
}

// signIn checks a token (opaque or JWT) as the API would and starts a
// session. A refused token gets the same answer whatever was wrong with it.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	token := strings.TrimSpace(r.PostFormValue("token"))
	p, err := c.cfg.Auth.Authenticate(r.Context(), token)
	if err != nil {
		c.log.Info("console sign-in refused", "err", err)
		c.render(w, r, http.StatusUnauthorized, "signin", words{"登录", "Sign in"}, signInBody{Refused: true})
		return
	}
	if old := cookieValue(r); old != "" {
		c.sessions.end(old) // a new session id at every sign-in: no fixation
	}
	id, _ := c.sessions.create(token, p, time.Now())
	http.SetCookie(w, c.sessionCookie(r, id, 0))
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request) {
	c.sessions.end(cookieValue(r))
	http.SetCookie(w, c.sessionCookie(r, "", -1))
	http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
}
