package console

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/edge/httpapi"
)

// requestInfo is filled in as a request goes through the console and read
// by the access log when it is done.
type requestInfo struct{ principal string }

type infoKey struct{}

// observe writes one access-log line per request: method, path, status,
// bytes, latency and the principal of a signed-in session. The embedded
// assets are logged at debug level; the live event stream is logged by the
// API it is handed to.
func (c *Console) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		sw := httpapi.NewStatusWriter(w)
		next.ServeHTTP(sw, r)
		if r.URL.Path == Prefix+"events" {
			return
		}
		level := slog.LevelInfo
		switch {
		case strings.HasPrefix(r.URL.Path, Prefix+"static/"):
			level = slog.LevelDebug
		case sw.Status() >= 500:
			level = slog.LevelError
		}
		attrs := []slog.Attr{slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", sw.Status()),
			slog.Int64("bytes", sw.Bytes()), slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000)}
		if info.principal != "" {
			attrs = append(attrs, slog.String("actor", info.principal))
		}
		c.log.LogAttrs(r.Context(), level, "console request", attrs...)
	})
}

// notePrincipal records the signed-in principal for the access log.
func notePrincipal(ctx context.Context, p string) {
	if info, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		info.principal = p
	}
}
