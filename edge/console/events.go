package console

import (
	"net/http"
	"net/url"
)

// events is GET /console/events: the API's event stream (GET /v1/events)
// for the signed-in principal, so that pages refresh live. The request is
// handed to the API with the session's token as its bearer token, so the
// stream is scoped, bounded per principal and logged exactly as the API's.
func (c *Console) events(w http.ResponseWriter, r *http.Request) {
	if c.cfg.Events == nil {
		c.notFound(w, r, nil)
		return
	}
	in := r.URL.Query()
	q := url.Values{}
	for _, k := range []string{"after", "ticket_id"} {
		if v := in.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	req := r.Clone(r.Context())
	req.URL = &url.URL{Path: "/v1/events", RawQuery: q.Encode()}
	req.RequestURI = ""
	req.Header = http.Header{"Accept": {"text/event-stream"}}
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		req.Header.Set("Last-Event-ID", v)
	}
	req.Header.Set("Authorization", "Bearer "+sessionOf(r).token)
	c.cfg.Events.ServeHTTP(w, req)
}
